import type KeyvRedis from '@keyv/redis'
import { freePort, OwnRedis, redisAdapter, uniqueNamespace } from '@querycache/testing/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueryCache, type QueryCacheError } from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error('condition not met in time')
}

describe('when Redis fails', () => {
  let redis: OwnRedis
  const adapters: KeyvRedis<string>[] = []
  const open = () => {
    const a = redisAdapter(redis.url)
    adapters.push(a)
    return a
  }

  beforeAll(async () => {
    redis = new OwnRedis(await freePort())
    await redis.start()
  })

  afterAll(async () => {
    for (const a of adapters) await a.disconnect(true).catch(() => {})
    await redis.stop()
  })

  it('never throws while Redis is dead, falls back to the query, reports errors, and resumes after Redis returns', async () => {
    const errors: QueryCacheError[] = []
    const cache = createQueryCache({
      store: open(),
      namespace: uniqueNamespace('dies'),
      timeoutMs: 100,
      retryAfterMs: 50,
      onError: (e) => errors.push(e),
    })
    let queries = 0
    const query = async () => ({ n: ++queries })
    await cache.getOrSet('q', query, { models: ['Article'] })
    expect(await cache.getOrSet('q', query, { models: ['Article'] })).toEqual({ n: 1 })

    await redis.stop()
    for (let i = 0; i < 5; i++) {
      const before = queries
      await expect(cache.getOrSet('q', query, { models: ['Article'] })).resolves.toEqual({
        n: before + 1,
      })
      await expect(cache.get('q')).resolves.toBeUndefined()
      await expect(cache.set('other', 1)).resolves.toBe(false)
      await expect(cache.invalidateModel('Article')).resolves.toBeUndefined()
      await expect(cache.clear()).resolves.toBeUndefined()
      await sleep(60)
    }
    expect(queries).toBeGreaterThanOrEqual(6)
    expect(errors.length).toBeGreaterThan(0)
    expect(cache.stats().errors).toBe(errors.length)
    expect(errors.every((e) => e.code.startsWith('QC_STORE_'))).toBe(true)

    await redis.start()
    // caching resumes once the client has reconnected
    await until(async () => (await cache.set('probe', 1)) === true)
    const before = queries
    await cache.getOrSet('q2', query, { models: ['Article'] })
    await cache.getOrSet('q2', query, { models: ['Article'] })
    expect(queries).toBe(before + 1)
  })

  it('bypasses the cache for a model whose invalidation failed until the token write succeeds', async () => {
    const namespace = uniqueNamespace('full')
    const errors: string[] = []
    const cache = createQueryCache({
      store: open(),
      namespace,
      timeoutMs: 200,
      retryAfterMs: 50,
      onError: (e) => errors.push(e.code),
    })
    // another process sharing the store, which made no write itself
    const peer = createQueryCache({ store: open(), namespace, timeoutMs: 200, retryAfterMs: 50 })
    const admin = await open().getClient()

    let db = 'old'
    const read = () => cache.getOrSet('article', async () => db, { models: ['Article'] })
    expect(await read()).toBe('old')
    expect(await read()).toBe('old')

    // Redis refuses writes (full, no eviction) but still answers reads: the old entry stays readable
    await admin.configSet({ maxmemory: '1', 'maxmemory-policy': 'noeviction' })
    try {
      db = 'new'
      await cache.invalidateModel('Article') // fails: cannot write the token
      expect(errors).toContain('QC_STORE_FAILED')
      await sleep(80) // past retryAfterMs, so the store is tried again
      expect(await read()).toBe('new')
      expect(await cache.get('article')).toBeUndefined()
      // the peer did not make the write; it still sees the old entry (documented limit)
      expect(await peer.get('article')).toBe('old')
    } finally {
      await admin.configSet({ maxmemory: '0', 'maxmemory-policy': 'noeviction' })
    }
    await sleep(80)
    // the failed invalidation is retried before the next read of Article, then caching resumes
    expect(await read()).toBe('new')
    expect(await read()).toBe('new')
    expect(cache.stats('Article').hits).toBeGreaterThan(0)
    expect(await peer.get('article')).toBe('new')
  })

  it('a hung Redis costs a call at most timeoutMs, then is skipped until retryAfterMs has passed', async () => {
    const cache = createQueryCache({
      store: open(),
      namespace: uniqueNamespace('hung'),
      timeoutMs: 150,
      retryAfterMs: 300,
    })
    let queries = 0
    const query = async () => ++queries
    await cache.getOrSet('q', query, { models: ['Article'] })
    redis.pause()
    try {
      const started = Date.now()
      expect(await cache.getOrSet('q', query, { models: ['Article'] })).toBe(2)
      const first = Date.now() - started
      expect(first).toBeGreaterThanOrEqual(140)
      expect(first).toBeLessThan(150 + 250)
      const next = Date.now()
      for (let i = 0; i < 20; i++) await cache.getOrSet('q', query, { models: ['Article'] })
      expect(Date.now() - next).toBeLessThan(150) // skipped, not waited on
      expect(cache.stats().bypasses).toBeGreaterThanOrEqual(20)
    } finally {
      redis.resume()
    }
    await sleep(350)
    const before = queries
    await cache.getOrSet('q3', query, { models: ['Article'] })
    await cache.getOrSet('q3', query, { models: ['Article'] })
    expect(queries).toBe(before + 1)
  })
})
