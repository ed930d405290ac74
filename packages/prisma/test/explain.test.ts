// `$explain` tells what a call would do without running it, and what it tells is what then
// happens: the same key and dependencies as the call's own `onInfo`, the same bypass reason,
// and a write's invalidations are exactly what drops the reads it can change.
import { Prisma } from '@querycache/schema'
import { describe, expect, test } from 'vitest'
import type { CacheCallInfo } from '../src/index.js'
import { openBlog, PROVIDERS } from './support/fixtures.js'

describe.each(PROVIDERS)('%s', (provider) => {
  test('a read is explained as it is then served, and explaining runs nothing', async () => {
    const { prisma, cache } = await openBlog(provider, { ttl: 60 })
    const args = { where: { published: true }, include: { author: true } } as const
    const before = cache.stats()
    const explained = prisma.post.$explain('findMany', { ...args, cache: { tags: ['home'] } })
    expect(cache.stats()).toEqual(before)
    expect(explained).toMatchObject({ operation: 'read', cached: true, ttl: 60, tags: ['home'] })
    let info: CacheCallInfo | undefined
    const onInfo = (i: CacheCallInfo) => {
      info = i
    }
    await prisma.post.findMany({ ...args, cache: { tags: ['home'], onInfo } })
    expect(info).toMatchObject({
      result: 'miss',
      key: explained.key,
      dependencies: explained.dependencies,
    })
    // the included model is a dependency: a write to it drops the read
    const userWrite = prisma.user.$explain('update', { where: { id: 1 }, data: { name: 'A' } })
    expect(userWrite.operation).toBe('write')
    expect(explained.dependencies.some((d) => userWrite.invalidates.includes(d))).toBe(true)
  })

  test('bypasses are explained with the reason the call then reports', async () => {
    const { prisma } = await openBlog(provider, { models: { Tag: false } })
    const reasons: (string | undefined)[] = []
    const onInfo = (i: CacheCallInfo) => {
      reasons.push(i.reason)
    }
    expect(prisma.post.$explain('findMany', { cache: false })).toMatchObject({
      cached: false,
      reason: 'opted-out',
    })
    expect(prisma.tag.$explain('findMany')).toMatchObject({ cached: false, reason: 'opted-out' })
    await prisma.tag.findMany({ cache: { onInfo } })
    const inside = await prisma.$transaction(async (tx) => {
      await tx.post.findMany({ cache: { onInfo } })
      return prisma.post.$explain('findMany')
    })
    expect(inside).toMatchObject({ cached: false, reason: 'transaction' })
    expect(reasons).toEqual(['opted-out', 'transaction'])
    const scoped = await openBlog(provider, { scope: () => undefined })
    expect(scoped.prisma.user.$explain('findFirst')).toMatchObject({ reason: 'no-scope' })
  })

  test("a write's explained invalidations drop exactly the reads it can change", async () => {
    const { prisma } = await openBlog(provider)
    const comments = prisma.comment.$explain('findMany')
    const tags = prisma.tag.$explain('findMany')
    // deleting a post cascades to its comments; tags are untouched
    const remove = prisma.post.$explain('delete', { where: { id: 1 } })
    expect(comments.dependencies.some((d) => remove.invalidates.includes(d))).toBe(true)
    expect(tags.dependencies.some((d) => remove.invalidates.includes(d))).toBe(false)
    await prisma.comment.findMany()
    await prisma.tag.findMany()
    const hits = prisma.$cache.stats().hits
    await prisma.post.delete({ where: { id: 1 } })
    await prisma.comment.findMany()
    await prisma.tag.findMany()
    expect(prisma.$cache.stats().hits).toBe(hits + 1)
  })

  test('raw SQL: a read runs as is, a write names its tables, unreadable SQL invalidates all', async () => {
    const { prisma } = await openBlog(provider)
    expect(prisma.$explain('SELECT id FROM posts')).toMatchObject({ operation: 'passthrough' })
    const posts = prisma.post.$explain('findMany')
    const update = prisma.$explain(Prisma.sql`UPDATE posts SET title = ${'x'}`)
    expect(update.operation).toBe('write')
    expect(posts.dependencies.some((d) => update.invalidates.includes(d))).toBe(true)
    expect(
      prisma.tag.$explain('findMany').dependencies.some((d) => update.invalidates.includes(d)),
    ).toBe(false)
    expect(prisma.$explain('CREATE INDEX posts_title ON posts (title)').invalidates).toContain('*')
    expect(() => prisma.$explain(42 as never)).toThrow(/expected a SQL string/)
  })
})
