// Regressions found in review: shared connections, `.values()` shapes, and foreign keys the
// writing process never saw. Each runs on the shared blog schema (@querycache/schema).
import { createClient } from '@libsql/client'
import { createQueryCache, memoryStore } from '@querycache/core'
import { createPostgresDatabase, createSqliteDatabase, seedBlog } from '@querycache/schema'
import * as pgSchema from '@querycache/schema/drizzle/pg'
import * as sqliteSchema from '@querycache/schema/drizzle/sqlite'
import { count, eq } from 'drizzle-orm'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { expect, test } from 'vitest'
import { withQueryCache } from '../src/index.js'

test('one node-postgres Client: reads on the db during a transaction are not cached, a rollback leaves no trace', async () => {
  const fx = await createPostgresDatabase()
  await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
  const client = new pg.Client({ connectionString: fx.url })
  await client.connect()
  try {
    const db = withQueryCache(drizzlePg(client, { schema: pgSchema }))
    const { users } = pgSchema
    const nameOf1 = async () => (await db.select().from(users).where(eq(users.id, 1)))[0]?.name
    await expect(
      db.transaction(async (tx) => {
        await tx.update(users).set({ name: 'UNCOMMITTED' }).where(eq(users.id, 1))
        // the same connection: this read sees the uncommitted row and must not be cached
        expect(await nameOf1()).toBe('UNCOMMITTED')
        tx.rollback()
      }),
    ).rejects.toThrow()
    expect(await nameOf1()).toBe('User 1')
    expect(await nameOf1()).toBe('User 1')
    expect(db.$cache.stats().hits).toBe(1)
  } finally {
    await client.end()
    await fx.drop()
  }
})

test("libsql: a select's .values() returns the driver's rows, uncached", async () => {
  const fx = await createSqliteDatabase()
  await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
  const client = createClient({ url: fx.url })
  try {
    const plain = drizzleLibsql({ client, schema: sqliteSchema })
    const db = withQueryCache(plain)
    const { users } = sqliteSchema
    const q = (d: typeof plain) =>
      d.select({ email: users.email }).from(users).where(eq(users.id, 1)).values()
    const truth = (await q(plain))[0] as unknown as Record<string, unknown>
    for (let i = 0; i < 2; i++) {
      const row = (await q(db))[0] as unknown as Record<string, unknown>
      expect(row[0]).toBe('user1@example.com')
      expect(row.email).toBe(truth.email)
    }
    const prepared = db.select({ email: users.email }).from(users).where(eq(users.id, 1)).prepare()
    const direct = (await prepared.values())[0] as unknown as Record<string, unknown>
    expect(direct.email).toBe(truth.email)
    expect(db.$cache.stats().sets).toBe(0)
    // the builder's ordinary execution is still cached
    await db.select({ email: users.email }).from(users)
    await db.select({ email: users.email }).from(users)
    expect(db.$cache.stats().hits).toBe(1)
  } finally {
    client.close()
    await fx.drop()
  }
})

test('a cascade is seen by a reader whose foreign keys the writing process never learned', async () => {
  // two processes on one store; drizzle() without { schema }: the writer never used `comments`
  const fx = await createSqliteDatabase()
  await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
  const store = memoryStore()
  const writerClient = createClient({ url: fx.url })
  const readerClient = createClient({ url: fx.url })
  try {
    await writerClient.execute('PRAGMA foreign_keys = ON')
    const writer = withQueryCache(drizzleLibsql(writerClient), {
      cache: createQueryCache({ store }),
    })
    const reader = withQueryCache(drizzleLibsql(readerClient), {
      cache: createQueryCache({ store }),
    })
    const { posts, comments } = sqliteSchema
    const read = async () =>
      (await reader.select({ c: count() }).from(comments).where(eq(comments.postId, 1)))[0]?.c
    expect(await read()).toBe(1)
    await writer.delete(posts).where(eq(posts.id, 1))
    expect(await read()).toBe(0)
  } finally {
    writerClient.close()
    readerClient.close()
    await fx.drop()
  }
})

test('a select run through .run() (SQLite) or prepare().all() (PostgreSQL) shares no entry with the usual execution', async () => {
  const fx = await createSqliteDatabase()
  await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
  const client = createClient({ url: fx.url })
  try {
    const db = withQueryCache(drizzleLibsql({ client, schema: sqliteSchema }))
    const { users } = sqliteSchema
    const q = () => db.select({ id: users.id }).from(users).where(eq(users.id, 1))
    const run = await q().run()
    expect(run.rows).toHaveLength(1)
    expect(await q()).toEqual([{ id: 1 }])
    expect(await q()).toEqual([{ id: 1 }])
    expect((await q().run()).columns).toEqual(['id'])
  } finally {
    client.close()
    await fx.drop()
  }
  const pgFx = await createPostgresDatabase()
  await seedBlog(pgFx, { users: 3, posts: 6, comments: 6 })
  const pool = new pg.Pool({ connectionString: pgFx.url })
  try {
    const db = withQueryCache(drizzlePg({ client: pool, schema: pgSchema }))
    const { users } = pgSchema
    const prepared = db
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(eq(users.id, 1))
      .prepare('one_user')
    expect(await (prepared as unknown as { all(): Promise<unknown> }).all()).toEqual([
      { id: 1, email: 'user1@example.com' },
    ])
    expect(await prepared.execute()).toEqual([{ id: 1, email: 'user1@example.com' }])
    expect(await prepared.execute()).toEqual([{ id: 1, email: 'user1@example.com' }])
    expect(db.$cache.stats().hits).toBe(1)
  } finally {
    await pool.end()
    await pgFx.drop()
  }
})

test('inserts and non-key updates of a referenced table leave reads of the referencing table cached; deletes and key updates do not', async () => {
  const fx = await createSqliteDatabase()
  await seedBlog(fx, { users: 3, posts: 6, comments: 6 })
  const client = createClient({ url: fx.url })
  try {
    await client.execute('PRAGMA foreign_keys = ON')
    const db = withQueryCache(drizzleLibsql({ client, schema: sqliteSchema }))
    const { posts, comments } = sqliteSchema
    const read = async () => (await db.select({ c: count() }).from(comments))[0]?.c
    expect(await read()).toBe(6)
    await db.insert(posts).values({ title: 'new' })
    expect(await read()).toBe(6)
    expect(db.$cache.stats().hits).toBe(1)
    // an update of non-key columns cannot fire foreign-key actions either
    await db.update(posts).set({ title: 'renamed' }).where(eq(posts.id, 2))
    expect(await read()).toBe(6)
    expect(db.$cache.stats().hits).toBe(2)
    // one that sets a key column may (ON UPDATE actions): the read runs again
    await db.update(posts).set({ id: 1000 }).where(eq(posts.id, 1000))
    const misses = db.$cache.stats().misses
    expect(await read()).toBe(6)
    expect(db.$cache.stats().misses).toBe(misses + 1)
    await db.delete(posts).where(eq(posts.id, 1))
    expect(await read()).toBe(5)
  } finally {
    client.close()
    await fx.drop()
  }
})
