import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, createClient } from '@libsql/client'
import type { Cache } from 'drizzle-orm/cache/core'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import {
  pgAudit,
  pgComments,
  pgDdl,
  pgPosts,
  pgPublished,
  pgSchema,
  pgTyped,
  pgUsers,
  sqAudit,
  sqComments,
  sqDdl,
  sqPosts,
  sqPublished,
  sqSchema,
  sqTyped,
  sqUsers,
} from './schema.js'

export const PG_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
export { REDIS_URL, redisAdapter, uniqueNamespace } from '@querycache/testing/redis'

export type Kind = 'pg' | 'sqlite'

/**
 * One database of a test file's own, the same schema on both dialects. Tests written against it
 * use `any` for the db: Drizzle's PG and SQLite types differ, the behaviour under test doesn't.
 */
export interface Harness {
  kind: Kind
  /** A new, uncached Drizzle db over this database (optionally with Drizzle's own cache). */
  drizzle(options?: { cache?: Cache; schema?: boolean }): any
  t: {
    users: any
    posts: any
    comments: any
    audit: any
    typed: any
    published: any
  }
  /** Raw SQL through the driver, bypassing Drizzle and any cache. */
  exec(sql: string): Promise<void>
  /** Empties every table. */
  reset(): Promise<void>
  close(): Promise<void>
}

export async function openPg(): Promise<Harness> {
  const name = `qc_drizzle_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 6 })
  pool.on('error', () => {})
  await pool.query(pgDdl)
  return {
    kind: 'pg',
    drizzle: (o = {}) =>
      drizzlePg({
        client: pool,
        ...(o.schema === false ? {} : { schema: pgSchema }),
        ...(o.cache ? { cache: o.cache } : {}),
      }),
    t: {
      users: pgUsers,
      posts: pgPosts,
      comments: pgComments,
      audit: pgAudit,
      typed: pgTyped,
      published: pgPublished,
    },
    exec: async (sql) => {
      await pool.query(sql)
    },
    reset: async () => {
      await pool.query('truncate users, posts, comments, audit, typed restart identity cascade')
    },
    close: async () => {
      await pool.end()
      await admin.query(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}

export async function openSqlite(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'qc-drizzle-'))
  const client: Client = createClient({ url: `file:${join(dir, 'test.db')}` })
  await client.execute('pragma foreign_keys = on')
  for (const statement of sqDdl) await client.execute(statement)
  return {
    kind: 'sqlite',
    drizzle: (o = {}) =>
      drizzleLibsql({
        client,
        ...(o.schema === false ? {} : { schema: sqSchema }),
        ...(o.cache ? { cache: o.cache } : {}),
      }),
    t: {
      users: sqUsers,
      posts: sqPosts,
      comments: sqComments,
      audit: sqAudit,
      typed: sqTyped,
      published: sqPublished,
    },
    exec: async (sql) => {
      await client.execute(sql)
    },
    reset: async () => {
      for (const t of ['comments', 'posts', 'users', 'audit', 'typed'])
        await client.execute(`delete from ${t}`)
      await client.execute('delete from sqlite_sequence')
    },
    close: async () => {
      client.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const open = (kind: Kind) => (kind === 'pg' ? openPg() : openSqlite())

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
