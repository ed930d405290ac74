import { AsyncLocalStorage } from 'node:async_hooks'
import { connectBlogClient, Prisma } from '@querycache/schema'
import { describe, expect, test } from 'vitest'
import { type CacheCallInfo, cacheExtension } from '../src/index.js'
import { openBlog, PROVIDERS } from './support/fixtures.js'

describe.each(PROVIDERS)('%s', (provider) => {
  test('cache: false reads the database and is counted as a bypass', async () => {
    const { prisma, base, cache } = await openBlog(provider)
    await prisma.post.findMany()
    await base.post.update({ where: { id: 1 }, data: { title: 'behind the cache' } })
    const titles = (await prisma.post.findMany({ cache: false })).map((p) => p.title)
    expect(titles).toContain('behind the cache')
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1, bypasses: 1 })
  })

  test('auto: false caches only calls with a cache option', async () => {
    const { prisma, cache } = await openBlog(provider, { auto: false })
    await prisma.user.findMany()
    await prisma.user.findMany()
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, bypasses: 2 })
    await prisma.user.findMany({ cache: {} })
    await prisma.user.findMany({ cache: {} })
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 })
  })

  test('models: { X: false } never caches X; { ttl } overrides the default', async () => {
    const { prisma, cache } = await openBlog(provider, {
      models: { Comment: false, Tag: { ttl: null } },
      ttl: 0.05,
    })
    await prisma.comment.findMany()
    await prisma.comment.findMany()
    expect(cache.stats('Comment')).toMatchObject({ hits: 0, misses: 0 })
    await prisma.tag.findMany()
    await prisma.user.findMany()
    await new Promise((r) => setTimeout(r, 120))
    await prisma.tag.findMany() // ttl null: still there
    await prisma.user.findMany() // 50 ms: expired
    expect(cache.stats('Tag')).toMatchObject({ hits: 1, misses: 1 })
    expect(cache.stats('User')).toMatchObject({ hits: 0, misses: 2 })
  })

  test('a per-call ttl wins over the model and client defaults', async () => {
    const { prisma, cache } = await openBlog(provider, {
      ttl: null,
      models: { Post: { ttl: null } },
    })
    await prisma.post.findMany({ cache: { ttl: 0.05 } })
    await new Promise((r) => setTimeout(r, 120))
    await prisma.post.findMany({ cache: { ttl: 0.05 } })
    expect(cache.stats('Post')).toMatchObject({ hits: 0, misses: 2 })
  })

  test('key and tags: deletePattern and invalidateTags drop exactly those results', async () => {
    const { prisma, base, cache } = await openBlog(provider)
    const home = () =>
      prisma.post.findMany({
        where: { published: true },
        cache: { key: 'home:posts', tags: ['home'] },
      })
    const other = () => prisma.post.findMany({ cache: { key: 'all:posts' } })
    await home()
    await other()
    // a write that bypasses querycache: only explicit invalidation can help
    await base.post.updateMany({ data: { title: 'outside' } })
    expect((await home())[0]?.title).toBe('Hello')
    await cache.invalidateTags(['home'])
    expect((await home())[0]?.title).toBe('outside')
    expect((await other())[0]?.title).toBe('Hello')
    expect(await cache.deletePattern('all:*')).toBe(1)
    expect((await other())[0]?.title).toBe('outside')
  })

  test('scope keeps callers apart', async () => {
    let tenant = 'a'
    const { prisma, cache } = await openBlog(provider, { scope: () => tenant })
    await prisma.post.findMany()
    await prisma.post.findMany({ cache: { key: 'mine' } })
    tenant = 'b'
    await prisma.post.findMany()
    await prisma.post.findMany({ cache: { key: 'mine' } })
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 4 })
    tenant = 'a'
    await prisma.post.findMany({ cache: { key: 'mine' } })
    expect(cache.stats().hits).toBe(1)
    expect(await cache.deletePattern('mine@*')).toBe(2)
    await expect(prisma.post.findMany({ cache: { key: 'mine@b' } })).rejects.toThrow(
      /cannot contain "@"/,
    )
  })

  test('a scope function that gives no scope bypasses the cache (the lazy PrismaPromise pitfall)', async () => {
    const tenant = new AsyncLocalStorage<string>()
    const { prisma, cache } = await openBlog(provider, { scope: () => tenant.getStore() })
    // a PrismaPromise runs when awaited: here after tenant.run returned, with no tenant
    const lazyA = tenant.run('a', () => prisma.post.findMany())
    const lazyB = tenant.run('b', () => prisma.post.findMany())
    await lazyA
    await lazyB
    expect(cache.stats()).toMatchObject({ hits: 0, sets: 0, bypasses: 2 })
    // the safe pattern: await inside the context
    await tenant.run('a', async () => await prisma.post.findMany())
    await tenant.run('a', async () => await prisma.post.findMany())
    expect(cache.stats()).toMatchObject({ hits: 1, sets: 1, bypasses: 2 })
  })

  test('cache.onInfo tells one call how it was served, without changing its result', async () => {
    const { prisma, base } = await openBlog(provider)
    const infos: CacheCallInfo[] = []
    const onInfo = (i: CacheCallInfo) => infos.push(i)
    const read = () =>
      prisma.post.findMany({
        include: { author: true },
        orderBy: { id: 'asc' },
        cache: { onInfo, tags: ['home'] },
      })
    const first = await read()
    expect(first).toEqual(
      await base.post.findMany({ include: { author: true }, orderBy: { id: 'asc' } }),
    )
    await read()
    await prisma.user.update({ where: { id: 1 }, data: { name: 'Ada L.' } })
    await read()
    await prisma.$transaction(async (tx) => {
      await tx.post.findMany({ cache: { onInfo } })
    })
    expect(infos.map((i) => i.result)).toEqual(['miss', 'hit', 'miss', 'bypass'])
    expect(infos[3]).toMatchObject({ reason: 'transaction', key: undefined })
    expect(infos[1]!.key).toBe(infos[0]!.key)
    expect(infos[1]!.tags).toEqual(['home'])
    // the read depends on both models it reaches
    expect(infos[0]!.dependencies.join(' ')).toMatch(/Post/)
    expect(infos[0]!.dependencies.join(' ')).toMatch(/User/)
    // a throwing listener does not fail the query
    const again = await prisma.post.findMany({
      orderBy: { id: 'asc' },
      cache: {
        onInfo: () => {
          throw new Error('listener')
        },
      },
    })
    expect(again.length).toBeGreaterThan(0)
    await expect(prisma.post.findMany({ cache: { onInfo: 'x' as never } })).rejects.toThrow(
      /cache\.onInfo must be a function/,
    )
  })

  test("unscoped: 'shared' caches reads without a scope under one shared key, on purpose", async () => {
    const { prisma, cache } = await openBlog(provider, {
      scope: () => undefined,
      unscoped: 'shared',
    })
    await prisma.post.findMany()
    await prisma.post.findMany()
    expect(cache.stats()).toMatchObject({ hits: 1, sets: 1, bypasses: 0 })
  })

  test("OrThrow on a miss throws Prisma's own error and caches nothing", async () => {
    const { prisma, cache } = await openBlog(provider)
    const read = () => prisma.post.findUniqueOrThrow({ where: { id: 99 } })
    await expect(read()).rejects.toMatchObject({ code: 'P2025' })
    await expect(prisma.post.findFirstOrThrow({ where: { title: 'nope' } })).rejects.toBeInstanceOf(
      Prisma.PrismaClientKnownRequestError,
    )
    expect(cache.stats().sets).toBe(0)
    await prisma.post.create({ data: { id: 99, title: 'now here' } })
    expect((await read()).title).toBe('now here')
  })

  test('a bad cache option is a clear error and nothing runs', async () => {
    const { prisma } = await openBlog(provider)
    const bad = { cache: 'yes' } as unknown as object
    await expect(prisma.post.findMany(bad)).rejects.toThrow(/cache option: expected/)
    await expect(prisma.post.findMany({ cache: { ttl: -1 } })).rejects.toThrow(/ttl/)
  })

  test('stats are kept per model', async () => {
    const { prisma, cache } = await openBlog(provider)
    await prisma.user.findMany()
    await prisma.user.findMany()
    await prisma.post.count()
    expect(cache.stats().byModel).toEqual({
      User: { hits: 1, misses: 1, staleHits: 0, hitRatio: 0.5 },
      Post: { hits: 0, misses: 1, staleHits: 0, hitRatio: 0 },
    })
  })

  test('$queryRawCached caches a raw read under the models it names', async () => {
    const { prisma, cache } = await openBlog(provider)
    const read = () =>
      prisma.$queryRawCached<{ title: string }[]>(
        { models: ['Post'], tags: ['report'] },
        Prisma.sql`SELECT title FROM posts WHERE published = ${true} ORDER BY id`,
      )
    expect(await read()).toEqual([{ title: 'Hello' }])
    expect(await read()).toEqual([{ title: 'Hello' }])
    expect(cache.stats().hits).toBe(1)
    await prisma.post.update({ where: { id: 2 }, data: { published: true } })
    expect(await read()).toEqual([{ title: 'Hello' }, { title: 'Draft' }])
    await expect(prisma.$queryRawCached({}, Prisma.sql`SELECT 1`)).rejects.toThrow(
      /name the models/,
    )
    await expect(
      prisma.$queryRawCached({ models: ['Nope'] }, Prisma.sql`SELECT 1`),
    ).rejects.toThrow(/not a model/)
    await expect(
      prisma.$queryRawCached({ models: ['Post'] }, Prisma.sql`DELETE FROM posts RETURNING id`),
    ).rejects.toThrow(/reads only/)
    expect(await prisma.post.count()).toBe(2)
    // keywords inside string literals are data, not statements
    const literal = Prisma.sql`SELECT title FROM posts WHERE title <> ${'x'} AND title <> 'what to do; delete from posts' ORDER BY id`
    await prisma.$queryRawCached({ models: ['Post'] }, literal)
    await prisma.$queryRawCached({ models: ['Post'] }, literal)
    expect(cache.stats().hits).toBe(2)
  })

  test('$queryRaw is not cached without $queryRawCached', async () => {
    const { prisma, base } = await openBlog(provider)
    const read = () => prisma.$queryRaw<{ n: number }[]>`SELECT count(*) AS n FROM tags`
    await read()
    await base.tag.create({ data: { name: 'direct' } })
    expect(Number((await read())[0]?.n)).toBe(2)
  })
})

test('options are checked when the extension is created', async () => {
  await expect(openBlog('sqlite', { models: { Pots: false } })).rejects.toThrow(
    /models\.Pots names no model/,
  )
  await expect(openBlog('sqlite', { scope: 'tenant' as never })).rejects.toThrow(
    /scope must be a function/,
  )
})

test("a client's global omit is part of the key: clients shaped differently never share an entry", async () => {
  const { db, cache, prisma } = await openBlog('sqlite')
  const hiding = connectBlogClient('sqlite', db.url, { omit: { user: { email: true } } }).$extends(
    cacheExtension({ cache }),
  )
  try {
    const visible = await prisma.user.findUnique({ where: { id: 1 } })
    const hidden = await hiding.user.findUnique({ where: { id: 1 } })
    expect(visible?.email).toBe('ada@example.com')
    expect(hidden).not.toHaveProperty('email')
    expect(await prisma.user.findUnique({ where: { id: 1 } })).toEqual(visible)
    expect(cache.stats().hits).toBe(1)
  } finally {
    await hiding.$disconnect()
  }
})
