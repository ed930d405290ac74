import type KeyvRedis from '@keyv/redis'
import { FaultProxy } from '@querycache/testing/proxy'
import { freePort, OwnRedis, redisAdapter, uniqueNamespace } from '@querycache/testing/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueryCache, type QueryCache } from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const TIMEOUT = 100

/**
 * A tiny "database" the cached reads sit in front of: a versioned row per model. A read that
 * started after a write resolved must see at least that write's version.
 */
class Db {
  private versions = new Map<string, number>()
  read(model: string) {
    return this.versions.get(model) ?? 0
  }
  write(model: string) {
    const v = this.read(model) + 1
    this.versions.set(model, v)
    return v
  }
}

/** Reads and writes over a few models; returns the latency of every call and any stale reads. */
async function workload(cache: QueryCache, db: Db, ops: number) {
  const models = ['A', 'B', 'C', 'D']
  const latencies: number[] = []
  const stale: string[] = []
  let failed = 0
  for (let i = 0; i < ops; i++) {
    const model = models[i % models.length]!
    const started = performance.now()
    if (i % 7 === 0) {
      db.write(model)
      await cache.invalidateModel(model)
      latencies.push(performance.now() - started)
      continue
    }
    const mustSee = db.read(model)
    try {
      const seen = await cache.getOrSet(`read:${model}`, async () => db.read(model), {
        models: [model],
      })
      if (seen < mustSee) stale.push(`${model}: saw v${seen} after v${mustSee} was written`)
    } catch {
      failed++
    }
    latencies.push(performance.now() - started)
  }
  latencies.sort((a, b) => a - b)
  return {
    stale,
    failed,
    p50: latencies[Math.floor(latencies.length / 2)]!,
    max: latencies.at(-1)!,
  }
}

describe('Redis faults', () => {
  let redis: OwnRedis
  let proxy: FaultProxy
  const adapters: KeyvRedis<string>[] = []
  const figures: Record<string, string> = {}

  const cacheThroughProxy = (label: string, timeoutMs = TIMEOUT) => {
    const adapter = redisAdapter(proxy.url)
    adapters.push(adapter)
    return createQueryCache({
      store: adapter,
      namespace: uniqueNamespace(label),
      timeoutMs,
      retryAfterMs: 200,
    })
  }

  beforeAll(async () => {
    redis = new OwnRedis(await freePort())
    await redis.start()
    proxy = new FaultProxy(redis.port)
    await proxy.start()
  })

  afterAll(async () => {
    for (const a of adapters) await a.disconnect(true).catch(() => {})
    await proxy.stop()
    await redis.stop()
    console.table(figures)
  })

  it('slow Redis (latency below the timeout): no query fails, nothing stale, still caching', async () => {
    // a timeout far above the delay, so a loaded CI machine's jitter cannot turn "slow" into
    // "timed out" (that case has a test of its own below)
    const cache = cacheThroughProxy('slow', 1000)
    const db = new Db()
    proxy.mode = { kind: 'delay', ms: 20 }
    try {
      const r = await workload(cache, db, 120)
      expect(r.failed).toBe(0)
      expect(r.stale).toEqual([])
      expect(cache.stats().hits).toBeGreaterThan(0)
      figures['slow 20 ms: call p50 / max (ms)'] = `${r.p50.toFixed(1)} / ${r.max.toFixed(1)}`
    } finally {
      proxy.heal()
    }
  })

  it('Redis slower than the timeout: no query fails, added latency stays under the timeout, caching resumes', async () => {
    const cache = cacheThroughProxy('slower')
    const db = new Db()
    await workload(cache, db, 20) // warm
    proxy.mode = { kind: 'delay', ms: TIMEOUT * 3 }
    let r: Awaited<ReturnType<typeof workload>>
    try {
      r = await workload(cache, db, 150)
    } finally {
      proxy.heal()
    }
    expect(r.failed).toBe(0)
    expect(r.stale).toEqual([])
    // one store call may wait the whole timeout; the query itself is in-process here and ~0 ms
    expect(r.max).toBeLessThan(TIMEOUT * 2 + 50)
    expect(cache.stats().errors).toBeGreaterThan(0)
    figures[`slow ${TIMEOUT * 3} ms (> timeout ${TIMEOUT}): call p50 / max (ms)`] =
      `${r.p50.toFixed(1)} / ${r.max.toFixed(1)}`
    await sleep(TIMEOUT * 4) // late replies drain, the circuit closes
    const hitsBefore = cache.stats().hits
    const after = await workload(cache, db, 60)
    expect(after.stale).toEqual([])
    expect(cache.stats().hits).toBeGreaterThan(hitsBefore)
  })

  it('Redis stalls (accepts bytes, answers nothing): no query fails, nothing stale, caching resumes', async () => {
    const cache = cacheThroughProxy('stall')
    const db = new Db()
    await workload(cache, db, 20)
    proxy.mode = { kind: 'stall' }
    let r: Awaited<ReturnType<typeof workload>>
    try {
      r = await workload(cache, db, 150)
    } finally {
      proxy.heal()
    }
    expect(r.failed).toBe(0)
    expect(r.stale).toEqual([])
    expect(r.max).toBeLessThan(TIMEOUT * 2 + 50)
    figures['stalled: call p50 / max (ms)'] = `${r.p50.toFixed(1)} / ${r.max.toFixed(1)}`
    await sleep(300)
    const hitsBefore = cache.stats().hits
    const after = await workload(cache, db, 60)
    expect(after.stale).toEqual([])
    expect(cache.stats().hits).toBeGreaterThan(hitsBefore)
  })

  it('Redis full with eviction (maxmemory + allkeys-lru): tokens and entries get evicted, nothing stale is served', async () => {
    const adapter = redisAdapter(redis.url)
    adapters.push(adapter)
    const admin = await adapter.getClient()
    const cache = createQueryCache({
      store: adapter,
      namespace: uniqueNamespace('full'),
      timeoutMs: 1000,
    })
    const db = new Db()
    await admin.configSet({ maxmemory: '3mb', 'maxmemory-policy': 'allkeys-lru' })
    try {
      const filler = 'x'.repeat(20_000)
      let stale = 0
      for (let round = 0; round < 30; round++) {
        // push Redis over its limit so it evicts, tokens included
        for (let i = 0; i < 20; i++)
          await cache.set(`fill:${round}:${i}`, filler, { models: ['Filler'] })
        const r = await workload(cache, db, 40)
        stale += r.stale.length
        expect(r.failed).toBe(0)
      }
      expect(stale).toBe(0)
      const info = await admin.info('stats')
      const evicted = Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0)
      expect(evicted).toBeGreaterThan(0)
      figures['maxmemory 3 MB allkeys-lru: evicted keys / hit ratio'] =
        `${evicted} / ${cache.stats().hitRatio.toFixed(2)}`
    } finally {
      await admin.configSet({ maxmemory: '0', 'maxmemory-policy': 'noeviction' })
    }
  })

  it('an invalidation is still sent while reads skip a store that just timed out', async () => {
    // the writer reaches Redis through the proxy; the other process directly
    const namespace = uniqueNamespace('circuit')
    const viaProxy = redisAdapter(proxy.url)
    const direct = redisAdapter(redis.url)
    adapters.push(viaProxy, direct)
    const writer = createQueryCache({
      store: viaProxy,
      namespace,
      timeoutMs: TIMEOUT,
      retryAfterMs: 10_000,
    })
    const other = createQueryCache({ store: direct, namespace })
    let row = 'v1'
    const read = (cache: QueryCache) => cache.getOrSet('row', async () => row, { models: ['Row'] })
    expect(await read(other)).toBe('v1')
    expect(await read(writer)).toBe('v1')
    // one slow reply: the writer's reads skip Redis for the next 10 s
    proxy.mode = { kind: 'delay', ms: TIMEOUT * 3 }
    await read(writer)
    expect(writer.stats().errors).toBe(1)
    await sleep(TIMEOUT * 4) // the delayed bytes have gone through
    proxy.heal()
    row = 'v2'
    await writer.invalidateModel('Row')
    // skipping the invalidation too would leave the other process serving v1 for the whole TTL
    expect(await read(other)).toBe('v2')
  })
})
