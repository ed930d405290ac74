// A plain Drizzle db over a blog database of either provider, for code written once for both
// (the demo, cross-ORM tests). Typed as the SQLite db: on PostgreSQL the same calls run on the
// PostgreSQL tables, which have the same names and columns.
import { createClient } from '@libsql/client'
import type { SQL } from 'drizzle-orm'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import type { BlogDatabase } from '../databases.ts'
import * as pgSchema from './pg.ts'
import * as sqliteSchema from './sqlite.ts'

export type BlogDrizzle = ReturnType<typeof drizzleLibsql<typeof sqliteSchema>>

export interface DrizzleBlog {
  db: BlogDrizzle
  schema: typeof sqliteSchema
  /** Runs a raw statement: `db.run` on libsql, `db.execute` on node-postgres. */
  run(db: BlogDrizzle, statement: SQL): Promise<unknown>
  close(): Promise<void>
}

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
      run: (d, statement) =>
        (d as unknown as { execute(q: SQL): Promise<unknown> }).execute(statement),
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
