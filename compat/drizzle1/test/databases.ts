// One small schema (authors, their posts, cascading on delete) in each dialect, as a Drizzle 1.0
// app declares it: tables plus `defineRelations` for relational queries v2; and a database of
// its own per dialect, dropped afterwards.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@libsql/client'
import { defineRelations } from 'drizzle-orm'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import * as my from 'drizzle-orm/mysql-core'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import * as pgc from 'drizzle-orm/pg-core'
import * as lite from 'drizzle-orm/sqlite-core'
import mysql from 'mysql2/promise'
import pg from 'pg'

const POSTGRES_URL = process.env.DATABASE_URL?.startsWith('postgres')
  ? process.env.DATABASE_URL
  : 'postgresql://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'

function relationsOf<A extends object, P extends object>(authors: A, posts: P) {
  return defineRelations({ authors, posts }, (r: any) => ({
    authors: { posts: r.many.posts() },
    posts: { author: r.one.authors({ from: r.posts.authorId, to: r.authors.id }) },
  }))
}

export const sqlite = (() => {
  const authors = lite.sqliteTable('authors', {
    id: lite.integer('id').primaryKey(),
    name: lite.text('name').notNull(),
  })
  const posts = lite.sqliteTable('posts', {
    id: lite.integer('id').primaryKey(),
    authorId: lite
      .integer('author_id')
      .notNull()
      .references(() => authors.id, { onDelete: 'cascade' }),
    title: lite.text('title').notNull(),
  })
  return { authors, posts, relations: relationsOf(authors, posts) }
})()

export const postgres = (() => {
  const authors = pgc.pgTable('authors', {
    id: pgc.serial('id').primaryKey(),
    name: pgc.text('name').notNull(),
  })
  const posts = pgc.pgTable('posts', {
    id: pgc.serial('id').primaryKey(),
    authorId: pgc
      .integer('author_id')
      .notNull()
      .references(() => authors.id, { onDelete: 'cascade' }),
    title: pgc.text('title').notNull(),
  })
  return { authors, posts, relations: relationsOf(authors, posts) }
})()

export const mariadb = (() => {
  const authors = my.mysqlTable('authors', {
    id: my.int('id').primaryKey().autoincrement(),
    name: my.varchar('name', { length: 100 }).notNull(),
  })
  const posts = my.mysqlTable('posts', {
    id: my.int('id').primaryKey().autoincrement(),
    authorId: my
      .int('author_id')
      .notNull()
      .references(() => authors.id, { onDelete: 'cascade' }),
    title: my.varchar('title', { length: 100 }).notNull(),
  })
  return { authors, posts, relations: relationsOf(authors, posts) }
})()

const SEED = [
  "insert into authors (id, name) values (1, 'Ann'), (2, 'Bob')",
  "insert into posts (id, author_id, title) values (1, 1, 'first'), (2, 1, 'second'), (3, 2, 'third')",
]

/** A fresh SQLite file (libsql), seeded. */
export async function openSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'qc-drizzle1-'))
  const client = createClient({ url: `file:${join(dir, 'db.sqlite')}` })
  await client.execute('pragma foreign_keys = on')
  await client.execute('create table authors (id integer primary key, name text not null)')
  await client.execute(
    'create table posts (id integer primary key, author_id integer not null references authors(id) on delete cascade, title text not null)',
  )
  for (const s of SEED) await client.execute(s)
  return {
    db: drizzleLibsql({ client, relations: sqlite.relations }),
    async close() {
      client.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A database of its own on the PostgreSQL server (node-postgres pool), seeded. */
export async function openPostgres() {
  const name = `qc_d1_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 })
  await pool.query('create table authors (id serial primary key, name text not null)')
  await pool.query(
    'create table posts (id serial primary key, author_id integer not null references authors(id) on delete cascade, title text not null)',
  )
  for (const s of SEED) await pool.query(s)
  return {
    db: drizzlePg({ client: pool, relations: postgres.relations }),
    async close() {
      await pool.end()
      await admin.query(`drop database if exists ${name}`)
      await admin.end()
    },
  }
}

/** A database of its own on the MariaDB server (mysql2 pool), seeded. */
export async function openMariadb() {
  const name = `qc_d1_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = await mysql.createConnection(MYSQL_URL)
  await admin.query(`create database ${name}`)
  const pool = mysql.createPool({ uri: `${MYSQL_URL}/${name}`, connectionLimit: 4 })
  await pool.query(
    'create table authors (id int auto_increment primary key, name varchar(100) not null)',
  )
  await pool.query(
    'create table posts (id int auto_increment primary key, author_id int not null, title varchar(100) not null, foreign key (author_id) references authors(id) on delete cascade)',
  )
  for (const s of SEED) await pool.query(s)
  return {
    db: drizzleMysql({ client: pool, relations: mariadb.relations }),
    async close() {
      await pool.end()
      await admin.query(`drop database if exists ${name}`)
      await admin.end()
    },
  }
}
