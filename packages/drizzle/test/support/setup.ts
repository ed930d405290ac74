import { createQueryCache, type QueryCache, type QueryCacheOptions } from '@querycache/core'
import { clusterAdapter, clusterClient } from '@querycache/testing/shared-cluster'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { type DrizzleCacheOptions, withQueryCache } from '../../src/index.js'
import { type Harness, type Kind, open, uniqueNamespace } from './db.js'

/**
 * Where the caches of a describe block keep their entries: a fresh in-process memory store per
 * cache, or the package run's shared real Redis Cluster (testing/shared-cluster.ts).
 */
export type StoreKind = 'memory' | 'redis-cluster'

export interface UseDatabaseOptions {
  /** Default 'memory'. */
  store?: StoreKind
}

export interface Ctx {
  h: Harness
  /** The cached db of the current test (fresh cache, unique namespace, per test). */
  db: any
  /** The same database, uncached: to write behind the cache's back or check the truth. */
  raw: any
  cache: QueryCache
  wrap(options?: DrizzleCacheOptions & { cacheOptions?: QueryCacheOptions; db?: any }): any
}

/**
 * Opens the dialect's database for the file, resets and re-seeds it before every test. With
 * `store: 'redis-cluster'` every cache the block creates (through `ctx.wrap` without a `cache`)
 * stores in one cluster adapter made for the block, each under a namespace of its own.
 */
export function useDatabase(kind: Kind, { store = 'memory' }: UseDatabaseOptions = {}): Ctx {
  const ctx = {} as Ctx
  let adapter: ReturnType<typeof clusterAdapter> | undefined
  // caches over the cluster made by the current test: each holds invalidation connections of its own
  const opened: QueryCache[] = []
  beforeAll(async () => {
    ctx.h = await open(kind)
    if (store === 'redis-cluster') {
      adapter = clusterAdapter()
      // connected up front, as an application does: the first read must not spend its
      // timeoutMs discovering the cluster
      await clusterClient(adapter)
    }
  })
  afterAll(async () => {
    await adapter?.disconnect()
    await ctx.h?.close()
  })
  if (store === 'redis-cluster') {
    afterEach(async () => {
      for (const cache of opened.splice(0)) await cache.close()
    })
  }
  const newCache = (cacheOptions?: QueryCacheOptions): QueryCache => {
    if (!adapter) return createQueryCache({ namespace: uniqueNamespace(kind), ...cacheOptions })
    const cache = createQueryCache({
      store: adapter,
      // the block's caches share the adapter; closing one closes only its own connections
      closeStore: false,
      namespace: uniqueNamespace(`${kind}-cluster`),
      ...cacheOptions,
    })
    opened.push(cache)
    return cache
  }
  beforeEach(async () => {
    await ctx.h.reset()
    ctx.raw = ctx.h.drizzle()
    ctx.wrap = (options = {}) => {
      const { cacheOptions, db, ...rest } = options
      return withQueryCache(db ?? ctx.h.drizzle(), {
        cache: rest.cache ?? newCache(cacheOptions),
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

/** Dialect and store pairs: both dialects on the memory store, PostgreSQL on the Redis Cluster. */
export const targets: [Kind, StoreKind][] = [
  ['pg', 'memory'],
  ['sqlite', 'memory'],
  ['pg', 'redis-cluster'],
]
