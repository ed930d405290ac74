// Regressions: a read path that cached during a shared-connection transaction ($count), and writes
// whose COMMIT may have applied although the call failed (the reply was lost).
import { createClient } from '@libsql/client'
import { CacheOptionError } from '@querycache/core'
import { createPostgresDatabase, createSqliteDatabase, seedBlog } from '@querycache/schema'
import * as pgSchema from '@querycache/schema/drizzle/pg'
import * as sqliteSchema from '@querycache/schema/drizzle/sqlite'
import { eq, sql } from 'drizzle-orm'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { expect, test } from 'vitest'
import { withQueryCache } from '../src/index.js'

test('one node-postgres Client: $count during an open transaction is not cached, a rollback leaves no trace', async () => {
  const fx = await createPostgresDatabase()
  await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
  const client = new pg.Client({ connectionString: fx.url })
  await client.connect()
  try {
    const db = withQueryCache(drizzlePg(client, { schema: pgSchema }))
    const { users } = pgSchema
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(users).values({ id: 100, name: 'UNCOMMITTED', email: 'u@example.com' })
        // the same connection: the plain db sees the uncommitted row and must not cache it
        expect(await db.$count(users)).toBe(4)
        tx.rollback()
      }),
    ).rejects.toThrow()
    expect(await db.$count(users)).toBe(3)
    expect(await db.$count(users)).toBe(3)
    expect(db.$cache.stats().hits).toBe(1)
  } finally {
    await client.end()
    await fx.drop()
  }
})

/**
 * A node-postgres Pool whose next `failNext` statements run on the server and then reject as if
 * the connection dropped before the reply arrived: the write has happened, the caller sees an error.
 */
function poolLosingReplies(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  const state = { lose: (_text: string) => false }
  const query = pool.query.bind(pool) as (...a: unknown[]) => Promise<unknown>
  ;(pool as unknown as { query: unknown }).query = async (...args: unknown[]) => {
    const config = args[0] as string | { text?: string }
    const text = typeof config === 'string' ? config : (config.text ?? '')
    const result = await query(...args)
    if (state.lose(text)) throw new Error('Connection terminated unexpectedly')
    return result
  }
  return { pool, state }
}

type Db = ReturnType<typeof withQueryCache<ReturnType<typeof drizzlePg<typeof pgSchema>>>>
const lostWrites: [string, string, (db: Db) => Promise<unknown>][] = [
  [
    'a builder write',
    'APPLIED',
    (db) => db.update(pgSchema.users).set({ name: 'APPLIED' }).where(eq(pgSchema.users.id, 1)),
  ],
  ['a raw write', 'RAW', (db) => db.execute(sql`UPDATE users SET name = 'RAW' WHERE id = 1`)],
]

test.each(lostWrites)(
  '%s whose reply was lost after it applied still invalidates',
  async (_, name, write) => {
    const fx = await createPostgresDatabase()
    await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
    const { pool, state } = poolLosingReplies(fx.url)
    try {
      const db = withQueryCache(drizzlePg(pool, { schema: pgSchema }))
      const { users } = pgSchema
      const nameOf1 = async () => (await db.select().from(users).where(eq(users.id, 1)))[0]?.name
      expect(await nameOf1()).toBe('User 1')
      expect(await nameOf1()).toBe('User 1') // cached
      state.lose = (text) => /^update/i.test(text)
      await expect(write(db)).rejects.toMatchObject({
        cause: { message: 'Connection terminated unexpectedly' },
      })
      state.lose = () => false
      expect(await nameOf1()).toBe(name)
    } finally {
      await pool.end()
      await fx.drop()
    }
  },
)

test('failed-write rule: a libsql batch that ran but whose call rejected invalidates', async () => {
  const fx = await createSqliteDatabase()
  await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
  const client = createClient({ url: fx.url })
  try {
    const batch = client.batch.bind(client)
    let lose = false
    ;(client as any).batch = async (...args: any[]) => {
      const result = await (batch as any)(...args)
      if (lose) {
        lose = false
        throw new Error('Connection terminated unexpectedly')
      }
      return result
    }
    const db = withQueryCache(drizzleLibsql({ client, schema: sqliteSchema }))
    const { users } = sqliteSchema
    const nameOf1 = async () => (await db.select().from(users).where(eq(users.id, 1)))[0]?.name
    expect(await nameOf1()).toBe('User 1')
    expect(await nameOf1()).toBe('User 1')
    lose = true
    await expect(
      db.batch([db.update(users).set({ name: 'Batch' }).where(eq(users.id, 1))]),
    ).rejects.toThrow()
    expect(await nameOf1()).toBe('Batch')
  } finally {
    client.close()
    await fx.drop()
  }
})

test('setup mistakes throw CacheOptionError, not a plain TypeError', () => {
  expect(() => withQueryCache({} as never)).toThrow(CacheOptionError)
  const client = createClient({ url: ':memory:' })
  try {
    const db = withQueryCache(drizzleLibsql({ client }))
    expect(() => withQueryCache(db)).toThrow(CacheOptionError)
    expect(() => withQueryCache(drizzleLibsql({ client }), null as never)).toThrow(CacheOptionError)
  } finally {
    client.close()
  }
})
