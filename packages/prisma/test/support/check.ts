import { expect } from 'vitest'
import type { Blog } from './fixtures.js'

/** A read, run on the cached client and (for the truth) on the plain one, which has the same shape. */
type Query<T> = (client: Blog['prisma']) => Promise<T>

/**
 * The read–write–read check every invalidation path is tested with: the read is cached (the
 * second call is a hit), the write changes what it returns, and after the write's promise
 * resolves the cached client returns exactly what the database returns.
 */
export async function expectFreshAfter<T>(
  blog: Blog,
  read: Query<T>,
  write: () => Promise<unknown>,
): Promise<{ before: T; after: T }> {
  const before = await read(blog.prisma)
  const hits = blog.cache.stats().hits
  expect(await read(blog.prisma)).toEqual(before)
  expect(blog.cache.stats().hits, 'the read should be served from the cache before the write').toBe(
    hits + 1,
  )
  await write()
  const after = await read(blog.prisma)
  const truth = await read(blog.base as unknown as Blog['prisma'])
  expect(truth, 'the write should change what the read returns').not.toEqual(before)
  expect(after).toEqual(truth)
  return { before, after }
}
