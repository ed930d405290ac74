import KeyvRedis, { createClient } from '@keyv/redis'
import { FaultProxy } from '@querycache/testing/proxy'
import {
  freePort,
  OwnRedis,
  REDIS_URL,
  redisAdapter,
  uniqueNamespace,
} from '@querycache/testing/redis'
import { Keyv } from 'keyv'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CacheOptionError,
  createQueryCache,
  defineStore,
  keyvStore,
  memoryStore,
  type NearCacheMessage,
  type NearCacheOptions,
  type QueryCache,
  type StoreDriver,
} from '../src/index.js'
import { NearTier } from '../src/near.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const HEARTBEAT = 100
const redisPort = Number(new URL(REDIS_URL).port || 6379)

let closing: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closing.reverse()) await close().catch(() => {})
  closing = []
})

async function until(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(5)
  }
}

/** One "process": a cache with a near cache in front of Redis; `store` overrides how it reaches Redis. */
async function process(
  namespace: string,
  options: { store?: StoreDriver; near?: NearCacheOptions; errors?: string[] } = {},
): Promise<QueryCache> {
  const cache = createQueryCache({
    store: options.store ?? keyvStore(redisAdapter()),
    namespace,
    nearCache: { heartbeatMs: HEARTBEAT, ...options.near },
    onError: (e, c) => options.errors?.push(`${c.operation}:${e.code}`),
  })
  closing.push(() => cache.close())
  await until(() => cache.stats().near!.trusted)
  return cache
}

/** A store whose data commands go straight to Redis and whose pub/sub goes through `proxy`. */
function channelThrough(proxy: FaultProxy): StoreDriver {
  const direct = keyvStore(redisAdapter())
  const proxied = keyvStore(redisAdapter(proxy.url))
  return defineStore({
    ...direct,
    channel: proxied.channel!,
    async close() {
      await direct.close?.()
      await proxied.close?.()
    },
  })
}

async function startProxy(): Promise<FaultProxy> {
  const proxy = new FaultProxy(redisPort)
  await proxy.start()
  closing.push(() => proxy.stop())
  return proxy
}

/** A database of one versioned row: what a cached read of model M must return. */
function row() {
  let version = 1
  return {
    read: () => version,
    write: () => ++version,
  }
}

describe('near cache', () => {
  it('answers a repeated read from process memory: no Redis round trip', async () => {
    const proxy = await startProxy()
    // everything through the proxy, so stalling it makes Redis unreachable for this process
    const cache = await process(uniqueNamespace('near-local'), {
      store: keyvStore(redisAdapter(proxy.url)),
    })
    const db = row()
    expect(await cache.getOrSet('q', db.read, { models: ['M'] })).toBe(1)
    expect(await cache.getOrSet('q', db.read, { models: ['M'] })).toBe(1)
    proxy.mode = { kind: 'stall' }
    const started = performance.now()
    expect(await cache.getOrSet('q', () => -1, { models: ['M'] })).toBe(1)
    expect(performance.now() - started).toBeLessThan(50)
    expect(cache.stats().near!.hits).toBe(2)
    proxy.heal()
  })

  it('the writing process never reads what it invalidated, even with reads racing the write', async () => {
    const ns = uniqueNamespace('near-writer')
    const cache = await process(ns)
    await process(ns) // another process subscribed, so messages really are published and received
    const db = row()
    for (let i = 0; i < 30; i++) {
      await cache.getOrSet('q', db.read, { models: ['M'] })
      const racing = Array.from({ length: 5 }, () =>
        cache.getOrSet('q', db.read, { models: ['M'] }),
      )
      const written = db.write()
      await cache.invalidateModel('M')
      expect(await cache.getOrSet('q', db.read, { models: ['M'] })).toBe(written)
      await Promise.all(racing)
      expect(await cache.getOrSet('q', db.read, { models: ['M'] })).toBe(written)
    }
    expect(cache.stats().near!.hits).toBeGreaterThan(0)
  })

  it('the writing process never reads what it invalidated when reads overtake its slow token write', async () => {
    // writes reach Redis 20 ms late, so reads that start alongside the invalidation read the old
    // token from Redis while the write is under way
    const direct = keyvStore(redisAdapter())
    const slowWrites = defineStore({
      ...direct,
      async set(key, value, ttlMs) {
        await sleep(20)
        await direct.set(key, value, ttlMs)
      },
    })
    const cache = await process(uniqueNamespace('near-slow-write'), { store: slowWrites })
    const db = row()
    for (let i = 0; i < 10; i++) {
      await cache.getOrSet('q', db.read, { models: ['M'] })
      await cache.getOrSet('other', db.read, { models: ['M'] })
      const racing = cache.getOrSet('q', db.read, { models: ['M'] })
      const written = db.write()
      await cache.invalidateModel('M')
      await racing
      expect(await cache.getOrSet('q', db.read, { models: ['M'] })).toBe(written)
      // not read while the write was under way: it must not be served with the token it replaced
      expect(await cache.getOrSet('other', db.read, { models: ['M'] })).toBe(written)
    }
  })

  it('another process serves from its memory until the message arrives, then sees the write', async () => {
    const ns = uniqueNamespace('near-other')
    const [a, b] = [await process(ns), await process(ns)]
    const db = row()
    expect(await b.getOrSet('q', db.read, { models: ['M'] })).toBe(1)
    expect(await b.getOrSet('q', db.read, { models: ['M'] })).toBe(1)
    expect(b.stats().near!.hits).toBe(1)
    const written = db.write()
    await a.invalidateModel('M')
    const returned = performance.now()
    await until(async () => (await b.getOrSet('q', db.read, { models: ['M'] })) === written, 1000)
    // well under a heartbeat: the message, not the tier's distrust, made b see it
    expect(performance.now() - returned).toBeLessThan(HEARTBEAT)
    expect(b.stats().near!.messages).toBeGreaterThan(0)
    expect(b.stats().near!.flushes).toBe(0)
  })

  it('onMessage reports each message as published by its writer and as applied by every other process', async () => {
    const ns = uniqueNamespace('near-hook')
    const events: NearCacheMessage[] = []
    const a = await process(ns, { near: { onMessage: (e) => events.push(e) } })
    const b = await process(ns, { near: { onMessage: (e) => events.push(e) } })
    await b.set('q', 1, { models: ['M'] })
    await a.invalidateModel('M')
    await until(() => events.length === 2)
    // either may come first: the subscriber can hear the message before the publisher hears Redis's reply
    const published = events.find((e) => e.kind === 'published')
    const applied = events.find((e) => e.kind === 'applied')
    expect(published).toMatchObject({ kind: 'published', seq: 1, keys: 1 })
    expect(applied).toMatchObject({ kind: 'applied', from: published!.from, seq: 1, keys: 1 })
  })

  it('after an invalidation, another process reads the current entry another process stored instead of recomputing', async () => {
    const ns = uniqueNamespace('near-reread')
    const [a, b] = [await process(ns), await process(ns)]
    let runs = 0
    const fn = () => ++runs
    await b.getOrSet('q', fn, { models: ['M'] })
    await a.invalidateModel('M')
    await until(() => b.stats().near!.messages > 0)
    expect(await a.getOrSet('q', fn, { models: ['M'] })).toBe(2)
    // b's copy of the entry is outdated; Redis has a's current one
    expect(await b.getOrSet('q', fn, { models: ['M'] })).toBe(2)
    expect(runs).toBe(2)
  })

  it('delete and deletePattern in one process remove the entry from every process', async () => {
    const ns = uniqueNamespace('near-delete')
    const [a, b] = [await process(ns), await process(ns)]
    await b.set('article:1', 'one')
    await b.set('article:2', 'two')
    expect(await b.get('article:1')).toBe('one')
    expect(await a.delete('article:1')).toBe(true)
    expect(await a.deletePattern('article:*')).toBe(1)
    await until(async () => (await b.get('article:2')) === undefined, 1000)
    expect(await b.get('article:1')).toBeUndefined()
  })

  it('a read that began before an invalidation message cannot put what it read back', async () => {
    // the tier's own bookkeeping, against a real channel: the read's mark predates the message
    const ns = uniqueNamespace('near-fill')
    const a = await process(ns)
    const driver = keyvStore(redisAdapter())
    const tier = new NearTier(driver.channel!, ns, { heartbeatMs: HEARTBEAT }, () => {})
    closing.push(async () => {
      await tier.close()
      await driver.close?.()
    })
    await until(() => tier.trusted)
    // a remote read begins; before it returns, another process invalidates what it reads
    const mark = tier.begin()
    const [[rotated]] = (await messagesOf(ns, () => a.invalidateTags(['t']))) as [string[]]
    await until(() => tier.stats().messages > 0)
    // the read returns the token as it was before the invalidation
    tier.fill(rotated!, 'old-token', mark)
    expect(tier.local(rotated!)).toBeUndefined()
    // a read begun after the message may fill
    tier.fill(rotated!, 'new-token', tier.begin())
    expect(tier.local(rotated!)).toBe('new-token')
  })

  it('while the channel is silent the tier is not trusted, so a held message leaves nothing stale', async () => {
    const ns = uniqueNamespace('near-silent')
    const proxy = await startProxy()
    const a = await process(ns)
    const b = await process(ns, { store: channelThrough(proxy) })
    const db = row()
    await b.getOrSet('q', db.read, { models: ['M'] })
    expect(await b.getOrSet('q', db.read, { models: ['M'] })).toBe(1)
    // b's subscription stays open but delivers nothing: the message below is held, as if lost
    proxy.mode = { kind: 'stall' }
    const written = db.write()
    await a.invalidateModel('M')
    const returned = performance.now()
    let staleFor = 0
    while ((await b.getOrSet('q', db.read, { models: ['M'] })) !== written) {
      staleFor = performance.now() - returned
      if (staleFor > 2000) break
      await sleep(5)
    }
    // b noticed its heartbeats stopped (2 × heartbeat) and went to Redis
    expect(staleFor).toBeLessThan(2 * HEARTBEAT + 100)
    expect(b.stats().near!.trusted).toBe(false)
    expect(b.stats().near!.flushes).toBe(1)
    await sleep(3 * HEARTBEAT)
    expect(await b.getOrSet('q', () => -1, { models: ['M'] })).toBe(written)
    // the channel delivers again: the tier is trusted, starts empty, and serves hits again
    proxy.heal()
    await until(() => b.stats().near!.trusted)
    const hits = b.stats().near!.hits
    expect(await b.getOrSet('q', () => -1, { models: ['M'] })).toBe(written)
    expect(await b.getOrSet('q', () => -1, { models: ['M'] })).toBe(written)
    expect(b.stats().near!.hits).toBeGreaterThan(hits)
  })

  it('a dropped subscription empties the tier at once; messages lost while reconnecting leave nothing stale', async () => {
    const ns = uniqueNamespace('near-drop')
    const proxy = await startProxy()
    const a = await process(ns)
    const b = await process(ns, { store: channelThrough(proxy) })
    const db = row()
    await b.getOrSet('q', db.read, { models: ['M'] })
    // connections cut, new ones refused for a while: the message below is lost for good
    proxy.mode = { kind: 'stall' }
    proxy.dropConnections()
    const dropped = performance.now()
    await until(() => !b.stats().near!.trusted, 1000)
    // told by the connection closing, not by the heartbeats stopping
    expect(performance.now() - dropped).toBeLessThan(HEARTBEAT)
    const written = db.write()
    await a.invalidateModel('M')
    expect(await b.getOrSet('q', db.read, { models: ['M'] })).toBe(written)
    proxy.heal()
    await until(() => b.stats().near!.trusted, 5000)
    expect(await b.getOrSet('q', () => -1, { models: ['M'] })).toBe(written)
    expect(await b.getOrSet('q', () => -1, { models: ['M'] })).toBe(written)
  })

  it.each([
    ['reconnecting', {}],
    ['never reconnecting (reconnectStrategy: false)', { reconnectStrategy: false as const }],
  ])(
    'survives its Redis restarting, %s: no crash, and trusted again once it is back',
    async (name, socket) => {
      const redis = new OwnRedis(await freePort())
      await redis.start()
      closing.push(() => redis.stop())
      const adapter = new KeyvRedis<string>({
        url: redis.url,
        socket: { host: '127.0.0.1', port: redis.port, connectTimeout: 300, ...socket },
      })
      const cache = await process(uniqueNamespace('near-restart'), { store: keyvStore(adapter) })
      await cache.set('q', 1)
      await redis.stop()
      await until(() => !cache.stats().near!.trusted, 1000)
      // long enough for the tier to replace its subscription (10 heartbeats)
      await sleep(15 * HEARTBEAT)
      expect(await cache.get('q')).toBeUndefined()
      await redis.start()
      if (name.startsWith('reconnecting')) {
        // trusted again, and (once the circuit the outage opened closes) caching again
        await until(async () => cache.stats().near!.trusted && (await cache.set('q', 2)), 10_000)
        const hits = cache.stats().near!.hits
        expect(await cache.get('q')).toBe(2)
        expect(cache.stats().near!.hits).toBe(hits + 1)
      }
      await cache.close()
    },
  )

  it('an unreadable message empties the tier and is reported', async () => {
    const ns = uniqueNamespace('near-garbage')
    const errors: string[] = []
    const b = await process(ns, { errors })
    await b.set('q', 'v')
    expect(await b.get('q')).toBe('v')
    const raw = createClient({ url: REDIS_URL })
    await raw.connect()
    closing.push(() => raw.close())
    await raw.publish(`${ns}:near`, 'not json')
    await until(() => b.stats().near!.flushes === 1)
    expect(b.stats().near!.entries).toBe(0)
    expect(errors).toContain('channel:QC_STORE_FAILED')
  })

  it('is bounded like the memory store and returns independent copies', async () => {
    const b = await process(uniqueNamespace('near-bounds'), { near: { maxEntries: 50 } })
    for (let i = 0; i < 200; i++) await b.set(`k${i}`, { i })
    expect(b.stats().near!.entries).toBeLessThanOrEqual(50)
    const first = (await b.get<{ i: number }>('k199'))!
    first.i = -1
    expect(await b.get('k199')).toEqual({ i: 199 })
    const small = await process(uniqueNamespace('near-bytes'), { near: { maxBytes: 4096 } })
    for (let i = 0; i < 50; i++) await small.set(`k${i}`, 'x'.repeat(200))
    expect(small.stats().near!.bytes).toBeLessThanOrEqual(4096)
  })

  it('refuses stores it cannot sit in front of, and bad options, with a clear error', () => {
    expect(() => createQueryCache({ store: memoryStore(), nearCache: true })).toThrow(
      /already in this process's memory/,
    )
    // a Keyv over a Map (Keyv's default) lives in this process too
    expect(() => createQueryCache({ store: new Keyv(), nearCache: true })).toThrow(
      /already in this process's memory/,
    )
    const noPubSub = {
      get: async () => undefined,
      set: async () => true,
      delete: async () => true,
      clear: async () => {},
      on: () => noPubSub,
    }
    expect(() =>
      createQueryCache({ store: new Keyv({ store: noPubSub }), nearCache: true }),
    ).toThrow(/publish invalidations/)
    expect(() => createQueryCache({ store: redisAdapter(), nearCache: { maxEntries: 0 } })).toThrow(
      CacheOptionError,
    )
    expect(() =>
      createQueryCache({ store: redisAdapter(), nearCache: { heartbeatMs: -1 } }),
    ).toThrow(/nearCache.heartbeatMs/)
    expect(() =>
      createQueryCache({ store: redisAdapter(), nearCache: 'yes' as unknown as boolean }),
    ).toThrow(/nearCache must be/)
  })
})

/** The keys of the invalidation messages published on `ns`'s channel while `run` runs. */
async function messagesOf(ns: string, run: () => Promise<unknown>): Promise<string[][]> {
  const sub = createClient({ url: REDIS_URL })
  await sub.connect()
  const seen: string[][] = []
  await sub.subscribe(`${ns}:near`, (m: string) =>
    seen.push((JSON.parse(m) as [string, number, string[]])[2]),
  )
  await run()
  await until(() => seen.length > 0)
  await sub.close()
  return seen
}
