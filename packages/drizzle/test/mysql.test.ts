import { randomUUID } from 'node:crypto'
import { eq, inArray, relations, sql } from 'drizzle-orm'
import {
  bigint,
  datetime,
  decimal,
  int,
  json,
  mysqlTable,
  serial,
  varchar,
} from 'drizzle-orm/mysql-core'
import { drizzle } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueryCache, withQueryCache } from '../src/index.js'
import { uniqueNamespace } from './support/db.js'

// MySQL / MariaDB is optional: the suite is skipped when no server answers.
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'

const users = mysqlTable('users', {
  id: serial('id').primaryKey(),
  name: varchar('name', { length: 100 }).notNull(),
})
const posts = mysqlTable('posts', {
  id: serial('id').primaryKey(),
  authorId: bigint('author_id', { mode: 'number', unsigned: true })
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  title: varchar('title', { length: 100 }).notNull(),
  at: datetime('at', { mode: 'date', fsp: 3 }),
  big: bigint('big', { mode: 'bigint' }),
  amount: decimal('amount', { precision: 30, scale: 9 }),
  doc: json('doc'),
  n: int('n'),
})

let admin: mysql.Connection | undefined
try {
  admin = await mysql.createConnection(MYSQL_URL)
} catch {
  admin = undefined
}

describe.runIf(admin)('mysql2 / MariaDB', () => {
  const database = `qc_drizzle_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  let pool: mysql.Pool
  let db: any
  let raw: any

  beforeAll(async () => {
    await admin!.query(`create database ${database}`)
    pool = mysql.createPool({ uri: `${MYSQL_URL}/${database}`, connectionLimit: 4 })
    await pool.query(
      'create table users (id bigint unsigned auto_increment primary key, name varchar(100) not null)',
    )
    await pool.query(`create table posts (id bigint unsigned auto_increment primary key,
      author_id bigint unsigned not null references users(id) on delete cascade,
      title varchar(100) not null, at datetime(3), big bigint, amount decimal(30,9), doc json, n int,
      foreign key (author_id) references users(id) on delete cascade)`)
    raw = drizzle({ client: pool })
    db = withQueryCache(drizzle({ client: pool }), {
      cache: createQueryCache({ namespace: uniqueNamespace('mysql') }),
    })
    await raw.insert(users).values([{ name: 'alice' }, { name: 'bob' }])
  })
  afterAll(async () => {
    await pool?.end()
    await admin?.query(`drop database if exists ${database}`)
    await admin?.end()
  })

  it('caches reads, invalidates on writes, keeps types', async () => {
    const row = {
      authorId: 1,
      title: 'hello',
      at: new Date('2024-02-29T12:34:56.789Z'),
      big: 9007199254740993n,
      amount: '123456789012345678.123456789',
      doc: { a: [1, { b: null }] },
      n: 7,
    }
    await db.insert(posts).values(row)
    const read = () =>
      db
        .select()
        .from(users)
        .where(inArray(users.id, db.select({ id: posts.authorId }).from(posts)))
    expect(await read()).toEqual([{ id: 1, name: 'alice' }])
    expect(await read()).toEqual([{ id: 1, name: 'alice' }])
    expect(db.$cache.stats().hits).toBe(1)
    await db.insert(posts).values({ ...row, authorId: 2 })
    expect(await read()).toHaveLength(2)

    const typed = () => db.select().from(posts).where(eq(posts.authorId, 1))
    const truth = await raw.select().from(posts).where(eq(posts.authorId, 1))
    await typed()
    const hit = await typed()
    expect(hit).toEqual(truth)
    expect(hit[0].at).toBeInstanceOf(Date)
    // (mysql2 itself returns BIGINT as a JS number unless told otherwise: compare with the truth)
    expect(hit[0].big).toBe(truth[0].big)
    expect(typeof hit[0].big).toBe('bigint')

    // raw SQL with backticks, and a transaction
    const count = () => db.$count(posts)
    expect(await count()).toBe(2)
    await db.execute(sql`delete from \`posts\` where author_id = 2`)
    expect(await count()).toBe(1)
    await db.transaction(async (tx: any) => {
      await tx.insert(posts).values({ authorId: 2, title: 'tx' })
    })
    expect(await count()).toBe(2)
    // cascading delete through the foreign key
    await db.delete(users).where(eq(users.id, 2))
    expect(await count()).toBe(1)
  })

  it('every MySQL raw write form invalidates what it writes (or everything, when it cannot name it)', async () => {
    await pool.query(
      'create table people (id bigint unsigned auto_increment primary key, name varchar(100) not null)',
    )
    await pool.query("insert into people (name) values ('ann'), ('ben')")
    const people = mysqlTable('people', {
      id: serial('id').primaryKey(),
      name: varchar('name', { length: 100 }).notNull(),
    })
    const read = () => db.select().from(people).orderBy(people.id)
    const forms = [
      "UPDATE IGNORE people SET name = 'a1' WHERE id = 1",
      "UPDATE LOW_PRIORITY people SET name = 'a2' WHERE id = 1",
      "INSERT people (name) VALUES ('b1')",
      "INSERT people SET name = 'b2'",
      "INSERT LOW_PRIORITY IGNORE INTO people (name) VALUES ('b3')",
      "INSERT HIGH_PRIORITY people (name) VALUES ('b4')",
      "REPLACE people SET id = 1, name = 'c1'",
      "REPLACE LOW_PRIORITY INTO people (id, name) VALUES (1, 'c2')",
      "DELETE QUICK IGNORE FROM people WHERE name = 'b1'",
      // multi-table forms: the tables are not named exactly, so everything is invalidated
      "UPDATE people p, people q SET p.name = 'd1' WHERE p.id = q.id AND p.id = 1",
      "DELETE p FROM people p WHERE p.name = 'b2'",
      "/* comment */ UPDATE `people` SET name = 'e1' WHERE id = 1",
      // comments: an apostrophe in one opens no literal; MySQL runs the body of /*! … */
      "# it's\nUPDATE people SET name = 'e2' WHERE id = 1",
      "-- it's\nUPDATE people SET name = 'e3' WHERE id = 1",
      "/*! UPDATE people SET name = 'e4' WHERE id = 1 */",
      "/*! /*! UPDATE people SET name = 'e5' WHERE id = 1 */",
      // qualified with the connection's own database: the same table
      `UPDATE \`${database}\`.\`people\` SET name = 'f1' WHERE id = 1`,
      `INSERT INTO ${database}.people (name) VALUES ('f2')`,
    ]
    for (const text of forms) {
      await read()
      const hits = db.$cache.stats().hits
      await read()
      expect(db.$cache.stats().hits, text).toBe(hits + 1)
      await db.execute(sql.raw(text))
      expect(await read(), text).toEqual(await raw.select().from(people).orderBy(people.id))
    }
  })

  it('a read naming a table qualified with the current database depends on that table', async () => {
    const people = mysqlTable('people', {
      id: serial('id').primaryKey(),
      name: varchar('name', { length: 100 }).notNull(),
    })
    const count = () =>
      db
        .select({ n: sql<number>`(select count(*) from ${sql.raw(`\`${database}\`.people`)})` })
        .from(users)
        .limit(1)
    await count()
    const hits = db.$cache.stats().hits
    const [before] = await count()
    expect(db.$cache.stats().hits).toBe(hits + 1)
    await db.insert(people).values({ name: 'g1' })
    const [after] = await count()
    expect(Number(after.n)).toBe(Number(before.n) + 1)
  })

  it('joins, relational queries (mode: planetscale) and transactions cache and invalidate', async () => {
    await pool.query(
      'create table authors (id bigint unsigned auto_increment primary key, name varchar(100) not null)',
    )
    await pool.query(`create table books (id bigint unsigned auto_increment primary key,
      author_id bigint unsigned not null, title varchar(100) not null,
      foreign key (author_id) references authors(id) on delete cascade)`)
    await pool.query("insert into authors (name) values ('le guin'), ('lem')")
    await pool.query(
      "insert into books (author_id, title) values (1, 'dispossessed'), (2, 'solaris')",
    )
    const authors = mysqlTable('authors', {
      id: serial('id').primaryKey(),
      name: varchar('name', { length: 100 }).notNull(),
    })
    const books = mysqlTable('books', {
      id: serial('id').primaryKey(),
      // the foreign key as the database has it: its cascade is followed from this declaration
      authorId: bigint('author_id', { mode: 'number', unsigned: true })
        .notNull()
        .references(() => authors.id, { onDelete: 'cascade' }),
      title: varchar('title', { length: 100 }).notNull(),
    })
    const authorsRelations = relations(authors, ({ many }) => ({ books: many(books) }))
    const booksRelations = relations(books, ({ one }) => ({
      author: one(authors, { fields: [books.authorId], references: [authors.id] }),
    }))
    const schema = { authors, books, authorsRelations, booksRelations }
    // MariaDB has no LATERAL: Drizzle's relational queries need mode 'planetscale' there
    const lib = withQueryCache(drizzle({ client: pool, schema, mode: 'planetscale' }), {
      cache: createQueryCache({ namespace: uniqueNamespace('mysql-rqb') }),
    }) as any
    const plain = drizzle({ client: pool, schema, mode: 'planetscale' }) as any
    const reads: [string, (d: any) => Promise<unknown>][] = [
      [
        'join',
        (d) =>
          d
            .select({ title: books.title, author: authors.name })
            .from(books)
            .innerJoin(authors, eq(books.authorId, authors.id))
            .orderBy(books.id),
      ],
      [
        'relational with',
        (d) => d.query.authors.findMany({ with: { books: true }, orderBy: authors.id }),
      ],
      ['$count', (d) => d.$count(books)],
    ]
    const writes: [string, () => Promise<unknown>][] = [
      [
        'update the joined table',
        () => lib.update(authors).set({ name: 'ursula' }).where(eq(authors.id, 1)),
      ],
      [
        'insert in a transaction',
        () => lib.transaction((tx: any) => tx.insert(books).values({ authorId: 2, title: 'eden' })),
      ],
      ['cascading delete', () => lib.delete(authors).where(eq(authors.id, 2))],
    ]
    for (const [writeName, write] of writes) {
      for (const [readName, read] of reads) {
        await read(lib)
        const hits = lib.$cache.stats().hits
        await read(lib)
        expect(lib.$cache.stats().hits, `${readName} is cached`).toBe(hits + 1)
      }
      await write()
      for (const [readName, read] of reads)
        expect(await read(lib), `${readName} after ${writeName}`).toEqual(await read(plain))
    }
  })
})
