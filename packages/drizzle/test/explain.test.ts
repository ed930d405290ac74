// db.$explain tells what a query would do without running it, and what it tells is what then
// happens: the key and dependencies the query's own onInfo reports, the same bypass reasons, and
// a write's invalidations are exactly what drops the reads it can change.
import type { CacheCallInfo } from '@querycache/core/adapter'
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { kinds, useDatabase } from './support/setup.js'

const overlaps = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x))

describe.each(kinds)('$explain (%s)', (kind) => {
  const ctx = useDatabase(kind)
  const t = () => ctx.h.t

  it('explains a select, a relational query and $count as they are then served; runs nothing', async () => {
    const infos: CacheCallInfo[] = []
    const onInfo = (i: CacheCallInfo) => infos.push(i)
    const queries = [
      () => ctx.db.select().from(t().posts).where(eq(t().posts.published, true)),
      () => ctx.db.query.users.findMany({ with: { posts: true } }),
      () => ctx.db.$count(t().comments),
    ]
    const before = ctx.cache.stats()
    const explained = queries.map((q) => ctx.db.$explain(q().$withCache({ tags: ['x'], ttl: 30 })))
    expect(ctx.cache.stats()).toEqual(before)
    for (const e of explained)
      expect(e).toMatchObject({ operation: 'read', cached: true, ttl: 30, tags: ['x'] })
    for (const q of queries) await q().$withCache({ tags: ['x'], ttl: 30, onInfo })
    expect(infos.map((i) => [i.result, i.key, i.dependencies])).toEqual(
      explained.map((e) => ['miss', e.key, e.dependencies]),
    )
  })

  it('explains bypasses with the reason the query then reports', async () => {
    expect(ctx.db.$explain(ctx.db.select().from(t().users).$withCache(false))).toMatchObject({
      cached: false,
      reason: 'opted-out',
    })
    const locking = ctx.db.select().from(t().users)
    if (kind === 'pg')
      expect(ctx.db.$explain(locking.for('update'))).toMatchObject({ reason: 'opted-out' })
    await ctx.db.transaction(async (tx: any) => {
      expect(tx.$explain(tx.select().from(t().users))).toMatchObject({ reason: 'transaction' })
    })
    const scoped = ctx.wrap({ scope: () => undefined })
    expect(scoped.$explain(scoped.select().from(t().users))).toMatchObject({ reason: 'no-scope' })
  })

  it("a write's explained invalidations drop exactly the reads it can change", async () => {
    const comments = ctx.db.$explain(ctx.db.select().from(t().comments))
    const users = ctx.db.$explain(ctx.db.select().from(t().users))
    // deleting posts cascades to comments; users are untouched
    const remove = ctx.db.$explain(ctx.db.delete(t().posts).where(eq(t().posts.id, 1)))
    expect(remove.operation).toBe('write')
    expect(overlaps(comments.dependencies, remove.invalidates)).toBe(true)
    expect(overlaps(users.dependencies, remove.invalidates)).toBe(false)
    const insert = ctx.db.$explain(ctx.db.insert(t().users).values({ name: 'Zed' }))
    expect(overlaps(users.dependencies, insert.invalidates)).toBe(true)
    expect(overlaps(comments.dependencies, insert.invalidates)).toBe(false)
    await ctx.db.select().from(t().comments)
    await ctx.db.select().from(t().users)
    const hits = ctx.cache.stats().hits
    await ctx.db.delete(t().posts).where(eq(t().posts.id, 1))
    await ctx.db.select().from(t().comments)
    await ctx.db.select().from(t().users)
    expect(ctx.cache.stats().hits).toBe(hits + 1)
  })

  it('raw sql: a read runs as is, a write names its tables, unreadable SQL invalidates all', () => {
    expect(ctx.db.$explain(sql`select id from posts`)).toMatchObject({ operation: 'passthrough' })
    const update = ctx.db.$explain(sql`update posts set title = ${'x'}`)
    const posts = ctx.db.$explain(ctx.db.select().from(t().posts))
    const users = ctx.db.$explain(ctx.db.select().from(t().users))
    expect(overlaps(posts.dependencies, update.invalidates)).toBe(true)
    expect(overlaps(users.dependencies, update.invalidates)).toBe(false)
    expect(ctx.db.$explain(sql`create index posts_t on posts (title)`).invalidates).toContain('*')
    expect(() => ctx.db.$explain(42)).toThrow(/expected a Drizzle query/)
  })
})
