import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { targets, useDatabase } from './support/setup.js'

describe.each(targets)('transactions (%s, %s store)', (kind, store) => {
  const ctx = useDatabase(kind, { store })

  const titles = (db = ctx.db) =>
    db
      .select({ title: ctx.h.t.posts.title })
      .from(ctx.h.t.posts)
      .orderBy(ctx.h.t.posts.id)
      .then((rows: { title: string }[]) => rows.map((r) => r.title))

  it('invalidations are applied after commit, before the transaction resolves', async () => {
    const { posts } = ctx.h.t
    expect(await titles()).toEqual(['hello', 'draft'])
    const invalidations = ctx.cache.stats().invalidations
    await ctx.db.transaction(async (tx: any) => {
      await tx.insert(posts).values({ authorId: 2, title: 'in-tx' })
      await tx.update(posts).set({ title: 'edited' }).where(eq(posts.id, 1))
      // queued, not applied: nothing is invalidated before commit
      expect(ctx.cache.stats().invalidations).toBe(invalidations)
    })
    expect(ctx.cache.stats().invalidations).toBe(invalidations + 1)
    expect(await titles()).toEqual(['edited', 'draft', 'in-tx'])
  })

  it('reads inside a transaction bypass the cache (they may see uncommitted rows)', async () => {
    const { posts } = ctx.h.t
    await titles()
    await ctx.cache.flush() // the entry that read stored is written behind it
    const before = ctx.cache.stats()
    await ctx.db.transaction(async (tx: any) => {
      await tx.insert(posts).values({ authorId: 2, title: 'uncommitted' })
      expect(await titles(tx)).toEqual(['hello', 'draft', 'uncommitted'])
      expect(await tx.query.posts.findMany()).toHaveLength(3)
      expect(await tx.$count(posts)).toBe(3)
    })
    const after = ctx.cache.stats()
    expect(after.hits).toBe(before.hits)
    expect(after.misses).toBe(before.misses)
    expect(after.sets).toBe(before.sets)
  })

  it('a rolled-back transaction leaves no trace in the cache', async () => {
    const { posts } = ctx.h.t
    await titles()
    await ctx.cache.flush() // the entry that read stored is written behind it
    const before = ctx.cache.stats()
    await expect(
      ctx.db.transaction(async (tx: any) => {
        await tx.insert(posts).values({ authorId: 2, title: 'ghost' })
        await tx.execute?.(sql`update posts set title = 'ghost2' where id = 1`)
        expect(await titles(tx)).toContain('ghost')
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    const after = ctx.cache.stats()
    expect(after.invalidations).toBe(before.invalidations)
    expect(after.sets).toBe(before.sets)
    // the entry cached before the transaction is still valid, and still right
    expect(await titles()).toEqual(['hello', 'draft'])
    expect(ctx.cache.stats().hits).toBe(before.hits + 1)
  })

  it('tx.rollback() discards queued invalidations too', async () => {
    const { posts } = ctx.h.t
    await titles()
    await ctx.cache.flush() // the entry that read stored is written behind it
    const before = ctx.cache.stats().invalidations
    await expect(
      ctx.db.transaction(async (tx: any) => {
        await tx.delete(posts)
        tx.rollback()
      }),
    ).rejects.toThrow()
    expect(ctx.cache.stats().invalidations).toBe(before)
    expect(await titles()).toEqual(['hello', 'draft'])
  })

  it('nested transactions queue into the outermost one', async () => {
    const { posts, users } = ctx.h.t
    const names = () => ctx.db.select({ name: users.name }).from(users).orderBy(users.id)
    await titles()
    await names()
    const before = ctx.cache.stats().invalidations
    await ctx.db.transaction(async (tx: any) => {
      await tx.transaction(async (inner: any) => {
        await inner.insert(posts).values({ authorId: 2, title: 'nested' })
      })
      await expect(
        tx.transaction(async (inner: any) => {
          await inner.update(users).set({ name: 'rolled-back' }).where(eq(users.id, 1))
          throw new Error('savepoint')
        }),
      ).rejects.toThrow('savepoint')
      expect(ctx.cache.stats().invalidations).toBe(before)
    })
    expect(ctx.cache.stats().invalidations).toBe(before + 1)
    expect(await titles()).toEqual(['hello', 'draft', 'nested'])
    expect((await names()).map((r: { name: string }) => r.name)).toEqual(['alice', 'bob'])
  })

  it.runIf(kind === 'pg')('SELECT … FOR UPDATE is never answered from the cache', async () => {
    const { posts } = ctx.h.t
    const locked = (db: any) => db.select().from(posts).where(eq(posts.id, 1)).for('update')
    const before = ctx.cache.stats()
    await locked(ctx.db)
    await locked(ctx.db)
    await ctx.db.transaction(async (tx: any) => {
      await locked(tx)
    })
    // also when written by hand
    await ctx.db.select().from(posts).where(sql`${posts.id} = 1 for share`)
    const after = ctx.cache.stats()
    expect(after.hits + after.misses + after.sets).toBe(before.hits + before.misses + before.sets)
  })

  it.runIf(kind === 'pg')('a slow read racing a write never leaves a stale entry', async () => {
    const { posts } = ctx.h.t
    // the read takes 300 ms on the server; the write commits while it runs
    const slowTitles = () =>
      ctx.db
        .select({ title: posts.title, slept: sql`(select pg_sleep(0.3))::text` })
        .from(posts)
        .orderBy(posts.id)
        .then((rows: { title: string }[]) => rows.map((r) => r.title))
    const reader = slowTitles()
    await new Promise((r) => setTimeout(r, 80))
    await ctx.db.insert(posts).values({ authorId: 2, title: 'raced' })
    // the slow reader may return the old rows (it started first)…
    expect(await reader).toEqual(['hello', 'draft'])
    // …but must not have left them in the cache
    expect(await slowTitles()).toEqual(['hello', 'draft', 'raced'])
  })

  it.runIf(kind === 'pg')(
    'a read started after a write resolved never joins an older in-flight read',
    async () => {
      const { posts } = ctx.h.t
      const slow = () =>
        ctx.db
          .select({ title: posts.title, slept: sql`(select pg_sleep(0.3))::text` })
          .from(posts)
          .orderBy(posts.id)
      const first = slow()
      await new Promise((r) => setTimeout(r, 80))
      await ctx.db.insert(posts).values({ authorId: 2, title: 'later' })
      const second = await slow()
      expect(second.map((r: { title: string }) => r.title)).toContain('later')
      await first
    },
  )
})
