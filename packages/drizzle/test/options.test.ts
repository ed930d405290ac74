import { AsyncLocalStorage } from 'node:async_hooks'
import { CacheOptionError, defineStore, type StoreDriver } from '@querycache/core'
import type { CacheCallInfo } from '@querycache/core/adapter'
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createQueryCache, QueryCache, withCache, withQueryCache } from '../src/index.js'
import { sleep, uniqueNamespace } from './support/db.js'
import { kinds, useDatabase } from './support/setup.js'

describe.each(kinds)('options (%s)', (kind) => {
  const ctx = useDatabase(kind)
  const users = () => ctx.h.t.users

  it('$withCache(false) bypasses the cache', async () => {
    const read = () => ctx.db.select().from(users()).$withCache(false)
    await read()
    await read()
    const s = ctx.cache.stats()
    expect(s.hits + s.misses + s.sets).toBe(0)
    // relational queries and $count take it too
    await ctx.db.query.users.findMany().$withCache(false)
    await ctx.db.$count(users()).$withCache(false)
    expect(ctx.cache.stats().misses).toBe(0)
  })

  it('$withCache({ ttl }) expires the entry', async () => {
    const read = () => ctx.db.select().from(users()).$withCache({ ttl: 0.15 })
    await read()
    await read()
    expect(ctx.cache.stats().hits).toBe(1)
    await sleep(200)
    await read()
    expect(ctx.cache.stats().hits).toBe(1)
  })

  it('$withCache({ tags }) and invalidateTags / $cache.invalidate({ tags })', async () => {
    const read = () =>
      ctx.db.query.users
        .findMany({ orderBy: (u: any, { asc }: any) => [asc(u.id)] })
        .$withCache({ tags: ['home'] })
    await read()
    await ctx.h.exec(`update users set name = 'behind' where id = 1`)
    expect((await read())[0].name).toBe('alice')
    await ctx.db.$cache.invalidateTags(['home'])
    expect((await read())[0].name).toBe('behind')
    await ctx.h.exec(`update users set name = 'again' where id = 1`)
    await ctx.db.$cache.invalidate({ tags: 'home' })
    expect((await read())[0].name).toBe('again')
  })

  it('$withCache({ key }) uses your key (delete / deletePattern)', async () => {
    const read = () => ctx.db.$count(users()).$withCache({ key: 'users:count' })
    expect(await read()).toBe(2)
    await ctx.h.exec(`insert into users (id, name) values (50, 'x')`)
    expect(await read()).toBe(2)
    await ctx.db.$cache.deletePattern('users:*')
    expect(await read()).toBe(3)
  })

  it("Drizzle's own $withCache options keep their meaning", async () => {
    // tag = custom key, invalidated by $cache.invalidate({ tags }); config.ex = TTL in seconds
    const read = () =>
      ctx.db
        .select()
        .from(users())
        .$withCache({ tag: 'all-users', config: { ex: 60 } })
    expect(await read()).toHaveLength(2)
    await ctx.h.exec(`insert into users (id, name) values (50, 'x')`)
    expect(await read()).toHaveLength(2)
    await ctx.db.$cache.invalidate({ tags: ['all-users'] })
    expect(await read()).toHaveLength(3)
    // autoInvalidate: false — kept until its TTL even when the table changes
    const sticky = () =>
      ctx.db.select().from(users()).where(eq(users().id, 1)).$withCache({ autoInvalidate: false })
    await sticky()
    await ctx.db.update(users()).set({ name: 'renamed' }).where(eq(users().id, 1))
    expect((await sticky())[0].name).toBe('alice')
  })

  it("auto: false caches only reads that opt in (Drizzle's 'explicit' strategy)", async () => {
    const db = ctx.wrap({ auto: false })
    await db.select().from(users())
    await db.select().from(users())
    expect(db.$cache.stats().misses).toBe(0)
    await db.select().from(users()).$withCache()
    await db.select().from(users()).$withCache()
    expect(db.$cache.stats().hits).toBe(1)
  })

  it('tables: { name: false } never caches reads of that table; { ttl } bounds the TTL', async () => {
    const db = ctx.wrap({ tables: { users: false, posts: { ttl: 0.15 } } })
    await db.select().from(users())
    await db.select().from(users())
    expect(db.$cache.stats().hits + db.$cache.stats().misses).toBe(0)
    const posts = () => db.select().from(ctx.h.t.posts)
    await posts()
    await posts()
    expect(db.$cache.stats().hits).toBe(1)
    await sleep(200)
    await posts()
    expect(db.$cache.stats().hits).toBe(1)
  })

  it('scope separates readers (tenant, role)', async () => {
    let tenant = 'a'
    const db = ctx.wrap({ scope: () => tenant })
    await db.select().from(users())
    tenant = 'b'
    await db.select().from(users())
    expect(db.$cache.stats().hits).toBe(0)
    await db.select().from(users())
    expect(db.$cache.stats().hits).toBe(1)
  })

  it('a scope function that gives no scope bypasses the cache (a lost AsyncLocalStorage context)', async () => {
    const tenant = new AsyncLocalStorage<string>()
    const db = ctx.wrap({ scope: () => tenant.getStore() })
    // the pitfall: a Drizzle query runs when awaited, here outside tenant.run, with no tenant
    const lazyA = tenant.run('a', () => db.select().from(users()))
    const lazyB = tenant.run('b', () => db.select().from(users()))
    await lazyA
    await lazyB
    expect(db.$cache.stats()).toMatchObject({ hits: 0, sets: 0, bypasses: 2 })
    // the safe pattern: await inside the context
    await tenant.run('a', async () => await db.select().from(users()))
    await tenant.run('a', async () => await db.select().from(users()))
    expect(db.$cache.stats()).toMatchObject({ hits: 1, sets: 1, bypasses: 2 })
    // a throwing scope function bypasses too
    const throwing = ctx.wrap({
      scope: () => {
        throw new Error('no request')
      },
    })
    await throwing.select().from(users())
    expect(throwing.$cache.stats()).toMatchObject({ sets: 0, bypasses: 1 })
  })

  it("unscoped: 'shared' caches reads without a scope under one shared key, on purpose", async () => {
    const tenant = new AsyncLocalStorage<string>()
    const db = ctx.wrap({ scope: () => tenant.getStore(), unscoped: 'shared' })
    await db.select().from(users())
    await db.select().from(users())
    expect(db.$cache.stats()).toMatchObject({ hits: 1, sets: 1, bypasses: 0 })
    expect(() => ctx.wrap({ scope: () => 'a', unscoped: 'share' as never })).toThrow(
      /unscoped must be 'bypass' or 'shared'/,
    )
  })

  it('$withCache({ onInfo }) tells one query how it was served, without changing its result', async () => {
    const infos: CacheCallInfo[] = []
    const onInfo = (i: CacheCallInfo) => infos.push(i)
    const read = () =>
      ctx.db
        .select()
        .from(users())
        .$withCache({ onInfo, tags: ['people'] })
    const first = await read()
    expect(first).toEqual(await ctx.raw.select().from(users()))
    await read()
    await ctx.db.update(users()).set({ name: 'renamed' })
    await read()
    await ctx.db.transaction(async (tx: any) => {
      await tx.select().from(users()).$withCache({ onInfo })
    })
    expect(infos.map((i) => i.result)).toEqual(['miss', 'hit', 'miss', 'bypass'])
    expect(infos[3]).toMatchObject({ reason: 'transaction' })
    expect(infos[1]!.key).toBe(infos[0]!.key)
    expect(infos[0]!.tags).toEqual(['people'])
    expect(infos[0]!.dependencies.join(' ')).toMatch(/users/)
    expect(() =>
      ctx.db
        .select()
        .from(users())
        .$withCache({ onInfo: 1 as never }),
    ).toThrow(/onInfo must be a function/)
  })

  it('stats per table', async () => {
    const { posts } = ctx.h.t
    await ctx.db.select().from(users())
    await ctx.db.select().from(users())
    await ctx.db.select().from(users())
    await ctx.db.select().from(posts)
    expect(ctx.cache.stats('users')).toMatchObject({ hits: 2, misses: 1 })
    expect(ctx.cache.stats('posts')).toMatchObject({ hits: 0, misses: 1 })
    expect(ctx.cache.stats().byModel.users?.hits).toBe(2)
  })

  it('a failing cache store never fails a query or a write', async () => {
    const broken: StoreDriver = defineStore({
      name: 'broken',
      get: async () => {
        throw new Error('store down')
      },
      getMany: async () => {
        throw new Error('store down')
      },
      set: async () => {
        throw new Error('store down')
      },
      deleteMany: async () => {
        throw new Error('store down')
      },
    })
    const errors: unknown[] = []
    const db = ctx.wrap({
      cache: createQueryCache({
        store: broken,
        namespace: uniqueNamespace('broken'),
        onError: (e) => errors.push(e),
      }),
    })
    const { posts } = ctx.h.t
    expect(await db.select().from(users())).toHaveLength(2)
    expect(await db.query.posts.findMany({ with: { author: true } })).toHaveLength(2)
    expect(await db.$count(posts)).toBe(2)
    await db.insert(posts).values({ authorId: 2, title: 'x' })
    await db.transaction(async (tx: any) => {
      await tx.update(posts).set({ title: 'y' }).where(eq(posts.id, 1))
    })
    expect(await db.$count(posts)).toBe(3)
    expect(errors.length).toBeGreaterThan(0)
  })

  it('database errors surface exactly as without the cache', async () => {
    const bad = () => ctx.db.select({ x: sql`no_such_column` }).from(users())
    const plain = () => ctx.raw.select({ x: sql`no_such_column` }).from(users())
    const ours = await bad().catch((e: Error) => e)
    const theirs = await plain().catch((e: Error) => e)
    expect(ours.constructor).toBe(theirs.constructor)
    expect(ours.message).toBe(theirs.message)
  })

  it('invalid $withCache options are refused where they are written', () => {
    const q = () => ctx.db.select().from(users())
    expect(() => q().$withCache({ ttl: -1 })).toThrow(CacheOptionError)
    expect(() => q().$withCache({ tags: [''] })).toThrow(/tags/)
    expect(() => ctx.db.query.users.findMany().$withCache({ key: 3 as never })).toThrow(/key/)
    expect(() => ctx.db.$count(users()).$withCache('x' as never)).toThrow(CacheOptionError)
  })

  it('$cache is the QueryCache; wrapping twice is refused', async () => {
    expect(ctx.db.$cache).toBeInstanceOf(QueryCache)
    expect(ctx.db.$cache.namespace).toBe(ctx.cache.namespace)
    expect(() => withQueryCache(ctx.db)).toThrow(/already wrapped/)
    expect(withCache).toBe(withQueryCache)
  })

  it('works on withReplicas(primary, replicas)', async () => {
    const { withReplicas } = await import(
      kind === 'pg' ? 'drizzle-orm/pg-core' : 'drizzle-orm/sqlite-core'
    )
    const db = ctx.wrap({ db: withReplicas(ctx.h.drizzle(), [ctx.h.drizzle()]) })
    const { posts } = ctx.h.t
    expect(await db.$count(posts)).toBe(2)
    expect(await db.$count(posts)).toBe(2)
    expect(db.$cache.stats().hits).toBe(1)
    await db.insert(posts).values({ authorId: 2, title: 'x' })
    expect(await db.select().from(posts)).toHaveLength(3)
    expect(await db.$count(posts)).toBe(3)
  })

  it('the original db is left untouched', async () => {
    await ctx.raw.select().from(users())
    expect(ctx.cache.stats().misses).toBe(0)
    expect(() => ctx.wrap({ cache: ctx.cache })).not.toThrow()
  })
})
