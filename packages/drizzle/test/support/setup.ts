import { createQueryCache, type QueryCache, type QueryCacheOptions } from '@querycache/core'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { type DrizzleCacheOptions, withQueryCache } from '../../src/index.js'
import { type Harness, type Kind, open, uniqueNamespace } from './db.js'

export interface Ctx {
  h: Harness
  /** The cached db of the current test (fresh memory cache per test). */
  db: any
  /** The same database, uncached: to write behind the cache's back or check the truth. */
  raw: any
  cache: QueryCache
  wrap(options?: DrizzleCacheOptions & { cacheOptions?: QueryCacheOptions; db?: any }): any
}

/** Opens the dialect's database for the file, resets and re-seeds it before every test. */
export function useDatabase(kind: Kind): Ctx {
  const ctx = {} as Ctx
  beforeAll(async () => {
    ctx.h = await open(kind)
  })
  afterAll(async () => {
    await ctx.h?.close()
  })
  beforeEach(async () => {
    await ctx.h.reset()
    ctx.raw = ctx.h.drizzle()
    ctx.wrap = (options = {}) => {
      const { cacheOptions, db, ...rest } = options
      return withQueryCache(db ?? ctx.h.drizzle(), {
        cache:
          rest.cache ?? createQueryCache({ namespace: uniqueNamespace(kind), ...cacheOptions }),
        ...rest,
      })
    }
    ctx.db = ctx.wrap()
    ctx.cache = ctx.db.$cache
    await seed(ctx)
  })
  return ctx
}

export async function seed({ raw, h }: Ctx): Promise<void> {
  const { users, posts, comments } = h.t
  await raw.insert(users).values([
    { id: 1, name: 'alice' },
    { id: 2, name: 'bob' },
  ])
  await raw.insert(posts).values([
    { id: 1, authorId: 1, title: 'hello', published: true },
    { id: 2, authorId: 1, title: 'draft', published: false },
  ])
  await raw.insert(comments).values([{ id: 1, postId: 1, body: 'nice' }])
  if (h.kind === 'pg') {
    // explicit ids above: move the sequences past them
    await h.exec(
      "select setval('users_id_seq', 10), setval('posts_id_seq', 10), setval('comments_id_seq', 10)",
    )
  }
}

export const kinds: Kind[] = ['pg', 'sqlite']
