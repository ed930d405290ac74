// Issue 6.2 — Redis faults end to end, through each adapter over PostgreSQL: Redis slowed and
// stalled by a TCP proxy, then killed and restarted, while one process keeps reading and writing.
// No query may fail, the latency the cache adds stays under timeoutMs, the writing process never
// reads its own write stale, a peer process catches up once Redis is back, and caching resumes.
import type KeyvRedis from '@keyv/redis'
import { createQueryCache, type QueryCache } from '@querycache/core'
import type { BlogDatabase } from '@querycache/schema'
import { FaultProxy } from '@querycache/testing/proxy'
import { freePort, OwnRedis, redisAdapter, uniqueNamespace } from '@querycache/testing/redis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ADAPTERS, openSubject, type Subject, smallBlog } from './support/blog.ts'
import { percentile, sleep, until } from './support/util.ts'

const TIMEOUT_MS = 100
const RETRY_AFTER_MS = 200

let redis: OwnRedis
let proxy: FaultProxy
let db: BlogDatabase
const adapters: KeyvRedis<string>[] = []
const subjects: Subject[] = []
const figures: Record<string, Record<string, string | number>> = {}

beforeAll(async () => {
  redis = new OwnRedis(await freePort())
  await redis.start()
  proxy = new FaultProxy(redis.port)
  await proxy.start()
  db = await smallBlog()
})

afterAll(async () => {
  for (const s of subjects) await s.close().catch(() => {})
  for (const s of subjects) await s.cache.close().catch(() => {})
  for (const a of adapters) await a.disconnect(true).catch(() => {})
  await proxy.stop()
  await redis.stop()
  await db.drop()
  console.table(figures)
})

interface PhaseResult {
  failed: string[]
  stale: string[]
  readMs: number[]
  writeMs: number[]
}

describe.each(ADAPTERS)('%s: Redis faults end to end', (kind) => {
  let writer: Subject
  let peer: Subject
  let errors: string[]
  let version = 0
  let baseline: number[]

  const cacheFor = (namespace: string, onError?: (code: string) => void): QueryCache => {
    const adapter = redisAdapter(proxy.url)
    adapters.push(adapter)
    return createQueryCache({
      store: adapter,
      namespace,
      timeoutMs: TIMEOUT_MS,
      retryAfterMs: RETRY_AFTER_MS,
      ttl: 300,
      ...(onError ? { onError: (e) => onError(e.code) } : {}),
    })
  }

  /**
   * `ops` operations (or more, until `minMs` have passed), one write in five; the writer must
   * always read its latest write.
   */
  async function phase(ops: number, minMs = 0): Promise<PhaseResult> {
    const r: PhaseResult = { failed: [], stale: [], readMs: [], writeMs: [] }
    const t0 = performance.now()
    for (let i = 0; i < ops || performance.now() - t0 < minMs; i++) {
      const started = performance.now()
      try {
        if (i % 5 === 4) {
          await writer.writeTitle(`v${++version}`)
          r.writeMs.push(performance.now() - started)
        } else {
          const title = await writer.readTitle()
          r.readMs.push(performance.now() - started)
          if (title !== `v${version}`) r.stale.push(`read ${title} after v${version} resolved`)
        }
      } catch (error) {
        r.failed.push(String(error))
      }
    }
    return r
  }

  const record = (label: string, r: PhaseResult, hitsBefore: number) => {
    const base = percentile(baseline, 50)
    figures[`${kind}: ${label}`] = {
      'read p50 ms': percentile(r.readMs, 50).toFixed(1),
      'read p99 ms': percentile(r.readMs, 99).toFixed(1),
      'added p50 ms': (percentile(r.readMs, 50) - base).toFixed(1),
      'added p99 ms': (percentile(r.readMs, 99) - base).toFixed(1),
      'write max ms': Math.max(...r.writeMs).toFixed(1),
      hits: writer.cache.stats().hits - hitsBefore,
      'cache errors': errors.length,
      failed: r.failed.length,
      stale: r.stale.length,
    }
  }

  const peerCatchesUp = () =>
    until(
      async () => (await peer.readTitle()) === `v${version}`,
      5000,
      'peer reading the latest write',
    )

  beforeAll(async () => {
    const namespace = uniqueNamespace(`faults-${kind}`)
    errors = []
    writer = openSubject(
      kind,
      db.url,
      cacheFor(namespace, (code) => errors.push(code)),
    )
    peer = openSubject(kind, db.url, cacheFor(namespace))
    subjects.push(writer, peer)
    await writer.writeTitle(`v${version}`)
    baseline = []
    for (let i = 0; i < 40; i++) {
      const started = performance.now()
      await writer.readTitleUncached()
      baseline.push(performance.now() - started)
    }
    figures[`${kind}: uncached read`] = {
      'read p50 ms': percentile(baseline, 50).toFixed(1),
      'read p99 ms': percentile(baseline, 99).toFixed(1),
    }
  })

  test('healthy, then slow (30 ms per hop, under the timeout): nothing fails or goes stale, reads still hit', async () => {
    let hits = writer.cache.stats().hits
    const healthy = await phase(50)
    record('healthy', healthy, hits)
    expect(healthy.failed).toEqual([])
    expect(healthy.stale).toEqual([])
    expect(writer.cache.stats().hits).toBeGreaterThan(hits)

    proxy.mode = { kind: 'delay', ms: 30 }
    hits = writer.cache.stats().hits
    let slow: PhaseResult
    try {
      slow = await phase(40)
    } finally {
      proxy.heal()
    }
    record('slow 30 ms', slow, hits)
    expect(slow.failed).toEqual([])
    expect(slow.stale).toEqual([])
    expect(writer.cache.stats().hits).toBeGreaterThan(hits)
    await peerCatchesUp()
  })

  test('stalled (bytes accepted, never answered): no query fails, added latency < timeoutMs, writer never stale; peer catches up and caching resumes after healing', async () => {
    await phase(10) // warm
    const errorsBefore = errors.length
    proxy.mode = { kind: 'stall' }
    let stalled: PhaseResult
    try {
      stalled = await phase(60, 1200)
    } finally {
      proxy.heal()
    }
    record('stalled', stalled, writer.cache.stats().hits)
    expect(stalled.failed).toEqual([])
    expect(stalled.stale).toEqual([])
    expect(errors.length).toBeGreaterThan(errorsBefore)
    // a read waits for the store at most once per call, and never longer than the timeout
    const added = percentile(stalled.readMs, 99) - percentile(baseline, 99)
    expect(added).toBeLessThan(TIMEOUT_MS + 50)
    expect(Math.max(...stalled.readMs)).toBeLessThan(Math.max(...baseline) + TIMEOUT_MS + 60)

    // after healing: the failed invalidations are delivered, so the peer sees the last write
    await peerCatchesUp()
    await sleep(RETRY_AFTER_MS * 2)
    const hits = writer.cache.stats().hits
    const after = await phase(30)
    record('after stall', after, hits)
    expect(after.failed).toEqual([])
    expect(after.stale).toEqual([])
    expect(writer.cache.stats().hits).toBeGreaterThan(hits)
  })

  test('Redis killed mid-run and restarted: no query fails, nothing stale, caching resumes', async () => {
    await phase(10)
    await redis.stop()
    let down: PhaseResult
    try {
      down = await phase(50, 1200)
    } finally {
      await redis.start()
    }
    record('redis killed', down, writer.cache.stats().hits)
    expect(down.failed).toEqual([])
    expect(down.stale).toEqual([])
    // the restarted Redis is empty: no token, so no old entry can be served, to either process
    await peerCatchesUp()
    const hitsBefore = writer.cache.stats().hits
    await until(
      async () => {
        const r = await phase(5)
        expect(r.failed).toEqual([])
        expect(r.stale).toEqual([])
        return writer.cache.stats().hits > hitsBefore + 1
      },
      10_000,
      'caching resumed after the restart',
    )
    const after = await phase(30)
    record('after restart', after, hitsBefore)
    expect(after.stale).toEqual([])
  })
})
