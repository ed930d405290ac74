// Every dependency and invalidation path, on SQLite, PostgreSQL and MySQL/MariaDB: read (cached),
// write through the path, read again — fresh. Each case fails if its path's tracking is removed.
import { describe, expect, test } from 'vitest'
import {
  andReturn,
  mysqlRaw,
  postgresRaw,
  quoted,
  raw,
  readDependencies,
  writes,
} from './support/cases.js'
import { expectFreshAfter } from './support/check.js'
import { openBlog, PROVIDERS } from './support/fixtures.js'

describe.each(PROVIDERS)('%s', (provider) => {
  describe('a read depends on every model it reaches', () => {
    test.each(readDependencies)('%s', async (_, read, write) => {
      const blog = await openBlog(provider)
      await expectFreshAfter(blog, read, () => write(blog))
    })
  })
  describe('a write invalidates every model it can change', () => {
    test.each(provider === 'mysql' ? writes.filter(([name]) => !andReturn.has(name)) : writes)(
      '%s',
      async (_, read, write) => {
        const blog = await openBlog(provider)
        await expectFreshAfter(blog, read, () => write(blog))
      },
    )
  })
  describe('raw SQL', () => {
    const dialectRaw = { postgresql: postgresRaw, mysql: mysqlRaw, sqlite: [] }[provider]
    test.each([...raw, ...dialectRaw])('%s', async (_, read, write) => {
      const blog = await openBlog(provider)
      await expectFreshAfter(blog, read, () => write(blog))
    })

    test('invalidates only what the SQL can change', async () => {
      const blog = await openBlog(provider)
      const unrelated = () => blog.prisma.tag.findMany()
      await unrelated()
      await expectFreshAfter(
        blog,
        (c) =>
          c.category.findMany({
            include: { posts: { select: { id: true } } },
            orderBy: { id: 'asc' },
          }),
        () => blog.prisma.$executeRawUnsafe(`DELETE FROM ${quoted(blog, '_CategoryToPost')}`),
      )
      await blog.prisma.$executeRaw`UPDATE posts SET title = ${'raw'}`
      const hits = blog.cache.stats().hits
      await unrelated()
      expect(blog.cache.stats().hits).toBe(hits + 1)
    })
  })

  test('raw SQL it cannot prove read-only invalidates everything (the Drizzle adapter follows the same rule)', async () => {
    const blog = await openBlog(provider)
    const unrelated = () => blog.prisma.tag.findMany()
    await unrelated()
    await unrelated()
    const misses = blog.cache.stats().misses
    await blog.prisma.$executeRawUnsafe(
      'CREATE INDEX IF NOT EXISTS posts_title_qc ON posts (title)',
    )
    await unrelated()
    expect(blog.cache.stats().misses).toBe(misses + 1)
  })

  test("a failed write still invalidates (it may have committed) and throws Prisma's error", async () => {
    const blog = await openBlog(provider)
    await blog.prisma.user.findMany()
    await expect(
      blog.prisma.user.create({ data: { email: 'ada@example.com' } }),
    ).rejects.toMatchObject({ code: 'P2002' })
    expect(blog.cache.stats().invalidations).toBe(1)
  })
})
