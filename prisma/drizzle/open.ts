// A plain Drizzle db over a blog database of any provider, for code written once for all (the
// demo, cross-ORM tests). Typed as the SQLite db: on PostgreSQL and MySQL the same calls run on
// their tables, which have the same names and columns.
import { createClient } from '@libsql/client'
import type { SQL } from 'drizzle-orm'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { BlogDatabase } from '../databases.ts'
import * as mysqlSchema from './mysql.ts'
import * as pgSchema from './pg.ts'
import * as sqliteSchema from './sqlite.ts'

export type BlogDrizzle = ReturnType<typeof drizzleLibsql<typeof sqliteSchema>>

export interface DrizzleBlog {
  db: BlogDrizzle
  schema: typeof sqliteSchema
  /** Runs a raw statement: `db.run` on libsql, `db.execute` on node-postgres and mysql2. */
  run(db: BlogDrizzle, statement: SQL): Promise<unknown>
  close(): Promise<void>
}

/** `db.execute` of node-postgres and mysql2 dbs, which the SQLite-typed `BlogDrizzle` lacks. */
const execute = (d: BlogDrizzle, statement: SQL) =>
  (d as unknown as { execute(q: SQL): Promise<unknown> }).execute(statement)

export function openDrizzleBlog(
  blog: BlogDatabase,
  options: { schema?: boolean } = {},
): DrizzleBlog {
  const withSchema = options.schema ?? true
  if (blog.provider === 'postgresql') {
    const pool = new pg.Pool({ connectionString: blog.url })
    const db = withSchema
      ? drizzlePg({ client: pool, schema: pgSchema })
      : drizzlePg({ client: pool })
    return {
      db: db as unknown as BlogDrizzle,
      schema: pgSchema as unknown as typeof sqliteSchema,
      run: execute,
      close: () => pool.end(),
    }
  }
  if (blog.provider === 'mysql') {
    const pool = mysql.createPool({ uri: blog.url, connectionLimit: 4 })
    // MariaDB has no LATERAL, which Drizzle's default relational queries use
    const db = withSchema
      ? drizzleMysql({ client: pool, schema: mysqlSchema, mode: 'planetscale' })
      : drizzleMysql({ client: pool })
    return {
      db: db as unknown as BlogDrizzle,
      schema: mysqlSchema as unknown as typeof sqliteSchema,
      run: execute,
      close: () => pool.end(),
    }
  }
  const client = createClient({ url: blog.url })
  const db = withSchema
    ? drizzleLibsql({ client, schema: sqliteSchema })
    : drizzleLibsql({ client })
  return {
    db: db as BlogDrizzle,
    schema: sqliteSchema,
    run: (d, statement) => d.run(statement),
    close: async () => client.close(),
  }
}
