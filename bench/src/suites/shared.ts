import { createQueryCache, type QueryCache, type StoreDriver } from '@querycache/core'
import type { BenchRedis } from '../fixtures.js'
import {
  find,
  interleaved,
  overheadPercent,
  round,
  type Sample,
  speedup,
  type Target,
  target,
} from '../harness.js'

/** Equal data, compared through a JSON form that keeps bigint, Date, Decimal and Buffer apart. */
export function sameData(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b)
}

function canonical(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = this[key]
    if (typeof raw === 'bigint') return `${raw}n`
    if (raw instanceof Date) return `Date(${raw.toISOString()})`
    if (raw instanceof Uint8Array) return `bytes(${Buffer.from(raw).toString('hex')})`
    return v
  })
}

/**
 * Misses counted by the caches that should only hit, and hits counted by the caches that should
 * only miss: both must stay unchanged across a measurement.
 */
export function hitsAndMisses(caches: { hits: QueryCache[]; misses: QueryCache[] }) {
  return {
    hitMisses: caches.hits.reduce((n, c) => n + c.stats().misses + c.stats().staleHits, 0),
    missHits: caches.misses.reduce((n, c) => n + c.stats().hits + c.stats().staleHits, 0),
  }
}

/** The one serialized entry a cache wrote to this (otherwise unused) store: what a hit parses. */
export async function storedEntry(store: StoreDriver): Promise<string> {
  const found: string[] = []
  for await (const batch of store.scan!('')) {
    for (const value of await store.getMany(batch))
      if (value?.startsWith('["qc1"')) found.push(value)
  }
  if (found.length !== 1) throw new Error(`expected one stored entry, found ${found.length}`)
  return found[0]!
}

/** A cache on the bench's Redis with the near cache in front of it, once its channel delivers. */
export async function nearCacheOn(redis: BenchRedis, namespace: string): Promise<QueryCache> {
  const cache = createQueryCache({
    store: redis.adapter(),
    namespace,
    ttl: null,
    timeoutMs: 1000,
    nearCache: true,
  })
  await nearTrusted(cache)
  return cache
}

async function nearTrusted(cache: QueryCache): Promise<void> {
  for (let i = 0; !cache.stats().near!.trusted; i++) {
    if (i > 500) throw new Error('the near cache never trusted its channel')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * Runs `measure`, then checks that the near cache answered from process memory throughout: its
 * hits grew and it was never emptied (which would have sent reads to Redis).
 */
export async function fromNearMemory<T>(
  cache: QueryCache,
  warm: () => Promise<unknown>,
  measure: () => Promise<T>,
): Promise<T> {
  // a phase without I/O (a throughput loop of memory hits) may have left it untrusted and empty
  await nearTrusted(cache)
  await warm()
  const before = cache.stats().near!
  const out = await measure()
  const after = cache.stats().near!
  if (after.flushes !== before.flushes || !after.trusted)
    throw new Error('the near cache was emptied during the measurement')
  if (after.hits <= before.hits) throw new Error('the near cache answered no hit')
  return out
}

export const NEAR_NOTE =
  '"near cache hit" is querycache with `nearCache: true` in front of the bench\'s Redis, every hit answered from process memory (the run fails if the near cache was emptied or answered nothing during a measurement). Its target compares it with a memory-store hit call by call, interleaved (groups "…, near cache vs memory"). Every timed loop yields to the event loop every 50 iterations, untimed, as a server does between requests: hits do no I/O, and without it nothing else (the near cache\'s channel included) would run for seconds.'

/**
 * The near cache's figures for one query, both ORMs alike: its speed-up and its ratio to a Redis
 * hit from the side-by-side group, and the target (≤ 1.3× a memory hit) from the two hits timed
 * call by call, interleaved, so drift hits both alike.
 */
export async function nearCacheFigures(o: {
  orm: 'Prisma' | 'Drizzle'
  provider: string
  query: string
  group: string
  facts: Record<string, string | number>
  cache: QueryCache
  near: () => Promise<unknown>
  memory: () => Promise<unknown>
  sideBySide: { nearHit: Sample; uncached: Sample; redisHit: Sample }
}): Promise<{ samples: Sample[]; target: Target }> {
  const group = `${o.group}, near cache vs memory`
  const samples = await fromNearMemory(o.cache, o.near, () =>
    interleaved(group, { 'memory hit': { fn: o.memory }, 'near cache hit': { fn: o.near } }, 2000),
  )
  const { nearHit, uncached, redisHit } = o.sideBySide
  const prefix = `${o.provider} ${o.query}`
  o.facts[`${prefix}: near cache hit speedup`] = round(speedup(nearHit, uncached))
  o.facts[`${prefix}: near cache hit vs redis hit`] = round(speedup(nearHit, redisHit))
  const ratio = find(samples, group, 'near cache hit').p50 / find(samples, group, 'memory hit').p50
  return {
    samples,
    target: target(
      `${o.orm} ${o.provider}: near cache hit vs memory hit, ${o.query}`,
      ratio,
      1.3,
      '×',
      true,
    ),
  }
}

let payloadKeys = 0

/**
 * One Redis GET of `payload` (a stored entry's text) on a connection of its own: the round trip
 * and transfer any Redis hit of that result pays, whatever the cache does after it.
 */
export async function redisGetOf(
  redis: BenchRedis,
  payload: string,
): Promise<() => Promise<unknown>> {
  const client = await redis.adapter().getClient()
  const key = `bench:payload:${++payloadKeys}`
  await client.set(key, payload)
  return async () => {
    const got = await client.get(key)
    if (got === null) throw new Error('the payload vanished from Redis')
    return got
  }
}

export const FLOOR_TARGETS_NOTE =
  'Targets are against what no cache behind the ORM can avoid: a memory hit against the floor (≤ 1.3×); a Redis hit against the floor plus one Redis GET of the very entry text querycache stores for that result ("floor + Redis GET", ≤ 1.3×); a miss against the uncached query, interleaved: ≤ 10% more with the memory store, and with Redis at most one Redis round trip more (measured as "one Redis GET of the payload" in the same interleaved group; the entry is written behind the result). Speed-ups over the uncached query are facts, not targets: their ceiling is uncached / floor, set by the ORM and the database.'

export const HIT_METHOD =
  'Hit targets are timed call by call, interleaved: the memory hit next to the floor (and, for Drizzle, the querycache and built-in cache hits on the same Map; groups "…, hits vs floor"), and the Redis hit next to floor + Redis GET (groups "…, Redis hits vs floor + GET"), one call of each per round, order alternating, so drift of the machine between timing windows hits both alike: on this shared 2-core machine, windows timed one after another moved these ratios by up to half. Calls doing I/O are kept apart from calls that do none, whose timing they would disturb. The side-by-side groups give each task\'s latency and the speed-ups over the uncached query.'

/**
 * The hit targets against the floor (FLOOR_TARGETS_NOTE), from groups timed call by call
 * (HIT_METHOD); `extra` tasks (no I/O) join the memory group (Drizzle's cache, for its target).
 */
export async function floorFigures(
  label: string,
  query: string,
  group: string,
  t: {
    hit: () => Promise<unknown>
    floor: () => Promise<unknown>
    redisHit: () => Promise<unknown>
    floorWithGet: () => Promise<unknown>
    extra?: Record<string, () => Promise<unknown>>
  },
): Promise<{ group: string; samples: Sample[]; targets: Target[] }> {
  const g = `${group}, hits vs floor`
  const memory = await interleaved(g, {
    floor: { fn: t.floor },
    'memory hit': { fn: t.hit },
    ...Object.fromEntries(Object.entries(t.extra ?? {}).map(([name, fn]) => [name, { fn }])),
  })
  const r = `${group}, Redis hits vs floor + GET`
  const redis = await interleaved(r, {
    'floor + Redis GET of the entry': { fn: t.floorWithGet },
    'redis hit': { fn: t.redisHit },
  })
  return {
    group: g,
    samples: [...memory, ...redis],
    targets: floorTargets(label, query, {
      hit: find(memory, g, 'memory hit'),
      floor: find(memory, g, 'floor'),
      redisHit: find(redis, r, 'redis hit'),
      floorWithGet: find(redis, r, 'floor + Redis GET of the entry'),
    }),
  }
}

/** The two hit targets against the floor (see FLOOR_TARGETS_NOTE), both ORMs alike. */
export function floorTargets(
  label: string,
  query: string,
  f: { hit: Sample; floor: Sample; redisHit: Sample; floorWithGet: Sample },
): Target[] {
  return [
    target(`${label}: memory hit vs floor, ${query}`, f.hit.p50 / f.floor.p50, 1.3, '×', true),
    target(
      `${label}: Redis hit vs floor + Redis GET, ${query}`,
      f.redisHit.p50 / f.floorWithGet.p50,
      1.3,
      '×',
      true,
    ),
  ]
}

/**
 * The miss targets from an interleaved miss group: memory-store overhead in percent, and what a
 * Redis miss adds over the query in Redis round trips (one GET of the entry, timed alongside).
 */
export function missTargets(
  label: string,
  query: string,
  m: { uncached: Sample; memoryMiss: Sample; redisMiss: Sample; redisGet: Sample },
): { missPct: number; redisTrips: number; targets: Target[] } {
  const missPct = overheadPercent(m.memoryMiss, m.uncached)
  const redisTrips = (m.redisMiss.p50 - m.uncached.p50) / m.redisGet.p50
  return {
    missPct,
    redisTrips,
    targets: [
      target(`${label}: miss overhead (memory store), ${query}`, missPct, 10, '%', true),
      target(
        `${label}: Redis miss overhead in Redis round trips, ${query}`,
        redisTrips,
        1,
        ' round trips',
        true,
      ),
    ],
  }
}
