import { eq } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { createQueryCache } from '../src/index.js'
import { redisAdapter, uniqueNamespace } from './support/db.js'
import { kinds, useDatabase } from './support/setup.js'

describe.each(kinds)('results round-trip exactly through Redis (%s)', (kind) => {
  const ctx = useDatabase(kind)
  const adapters: ReturnType<typeof redisAdapter>[] = []
  afterAll(async () => {
    for (const a of adapters) await a.disconnect()
  })

  const redisDb = (name?: string) => {
    const adapter = redisAdapter()
    adapters.push(adapter)
    const namespace = uniqueNamespace(`types-${kind}`)
    return (n = name) =>
      ctx.wrap({
        cache: createQueryCache({ store: adapter, namespace, timeoutMs: 2000 }),
        ...(n ? { name: n } : {}),
      })
  }

  const row = {
    at: new Date('2024-02-29T12:34:56.789Z'),
    big: 9007199254740993n,
    amount: '12345678901234567890.123456789',
    doc: { nested: [1, 'two', { three: null }], date: '2024-01-01', $qc: 'looks like a tag' },
    bytes: Buffer.from([0, 1, 2, 250, 255]),
  }

  it('timestamps, bigint, numeric strings, json and bytes', async () => {
    const { typed } = ctx.h.t
    await ctx.raw.insert(typed).values(row)
    const truth = await ctx.raw.select().from(typed)
    const db = redisDb()()
    const miss = await db.select().from(typed)
    const hits = db.$cache.stats().hits
    const hit = await db.select().from(typed)
    expect(db.$cache.stats().hits).toBe(hits + 1)
    for (const result of [miss, hit]) {
      expect(result).toEqual(truth)
      expect(result[0].at).toBeInstanceOf(Date)
      expect(result[0].at.getTime()).toBe(row.at.getTime())
      expect(result[0].big).toBe(row.big)
      expect(result[0].amount).toBe(row.amount)
      expect(result[0].doc).toEqual(row.doc)
      expect(Buffer.isBuffer(result[0].bytes)).toBe(true)
      expect(Buffer.compare(result[0].bytes, row.bytes)).toBe(0)
    }
    // relational queries map the same types
    const rq = () => db.query.typed.findFirst()
    const a = await rq()
    const b = await rq()
    expect(b).toEqual(await ctx.raw.query.typed.findFirst())
    expect(b).toEqual(a)
    expect(b.at).toBeInstanceOf(Date)
    expect(typeof b.big).toBe('bigint')
  })

  it('bigint parameters make distinct, stable keys', async () => {
    const { typed } = ctx.h.t
    await ctx.raw.insert(typed).values(row)
    await ctx.raw.insert(typed).values({ ...row, big: row.big + 1n })
    const make = redisDb()
    const db = make()
    const byBig = (d: any, big: bigint) =>
      d.select({ big: typed.big }).from(typed).where(eq(typed.big, big))
    expect(await byBig(db, row.big)).toEqual([{ big: row.big }])
    expect(await byBig(db, row.big + 1n)).toEqual([{ big: row.big + 1n }])
    // another process (a second wrapper on the same store and database name) hits
    const other = make()
    const hits = other.$cache.stats().hits
    expect(await byBig(other, row.big)).toEqual([{ big: row.big }])
    expect(other.$cache.stats().hits).toBe(hits + 1)
  })

  it('writes in one process invalidate reads cached by another', async () => {
    const { posts } = ctx.h.t
    const make = redisDb('shared')
    const a = make()
    const b = make()
    const read = (d: any) => d.select({ id: posts.id }).from(posts).orderBy(posts.id)
    expect(await read(a)).toHaveLength(2)
    expect(await read(b)).toHaveLength(2)
    await a.insert(posts).values({ authorId: 2, title: 'x' })
    expect(await read(b)).toHaveLength(3)
  })

  it('different database names never share entries', async () => {
    const { posts } = ctx.h.t
    const make = redisDb()
    const a = make('db-a')
    const b = make('db-b')
    const read = (d: any) => d.select({ id: posts.id }).from(posts)
    await read(a)
    await read(b)
    expect(b.$cache.stats().hits).toBe(0)
    const a2 = make('db-a')
    await read(a2)
    expect(a2.$cache.stats().hits).toBe(1)
  })
})
