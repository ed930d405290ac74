import { randomBytes } from 'node:crypto'
import { createQueryCache, generateQueryCacheKey, memoryStore } from '@querycache/core'
import { freePort, OwnRedis, redisAdapter } from '@querycache/testing/redis'
import {
  find,
  interleaved,
  progress,
  type SuiteResult,
  sideBySide,
  smoke,
  speedup,
  type TaskSpec,
  target,
  targetExactly,
  throughput,
} from '../harness.js'

const SIGNED_MEMORY = 'core: signed entries, memory store'
const SIGNED_REDIS = 'core: signed entries, Redis'
const BACK_TO_BACK = 'core: back to back'
const AFTER_IDLE = 'core: after 1 ms idle'

export const IDLE_NOTE =
  'Groups "core: back to back" and "core: after 1 ms idle" time the same three calls interleaved, the second with an untimed 1 ms sleep before each call, as every call right after a database or Redis reply is timed in the miss groups. The ratios between the two groups ("… after idle / back to back" facts) say how much slower code runs on this machine right after waiting on I/O; the empty async function, which runs no querycache code, shows that this is the machine.'

/** A 20-row post ⨝ author result, the shape every ORM benchmark here returns. */
export function twentyRows() {
  return Array.from({ length: 20 }, (_, i) => ({
    id: i + 1,
    title: `Post number ${i + 1}: a title of typical length`,
    published: i % 2 === 0,
    views: 1000 + i,
    createdAt: new Date(Date.UTC(2026, 0, 1 + i)),
    author: { id: (i % 5) + 1, email: `author${i % 5}@example.com`, name: `Author ${i % 5}` },
  }))
}

const prismaArgs = {
  where: { published: true, author: { is: { email: { contains: 'example' } } } },
  include: { author: true },
  orderBy: { createdAt: 'desc' },
  take: 20,
}

export async function coreSuite(): Promise<SuiteResult> {
  const rows = twentyRows()
  const key = generateQueryCacheKey({ model: 'Post', operation: 'findMany', args: prismaArgs })
  const deps = { models: ['Post', 'User'] }

  // the physical limit: a Map lookup and a JSON.parse of the same payload
  const limitMap = new Map([[key, JSON.stringify(rows)]])
  const cache = createQueryCache({ store: memoryStore(), ttl: null })
  await cache.getOrSet(key, async () => rows, deps)
  const encoded = cache.codec.encode(rows)

  const redis = new OwnRedis(await freePort())
  await redis.start()
  const adapter = redisAdapter(redis.url)
  const admin = await adapter.getClient()
  const redisCache = createQueryCache({ store: adapter, ttl: null, timeoutMs: 1000 })
  await redisCache.getOrSet(key, async () => rows, deps)
  // the same hit with signed entries (integrity): one HMAC-SHA256 over the entry per read
  const integrity = { key: randomBytes(32) }
  const signedCache = createQueryCache({ store: memoryStore(), ttl: null, integrity })
  await signedCache.getOrSet(key, async () => rows, deps)
  const signedRedis = createQueryCache({
    store: adapter,
    ttl: null,
    timeoutMs: 1000,
    namespace: 'signed',
    closeStore: false,
    integrity,
  })
  await signedRedis.getOrSet(key, async () => rows, deps)

  try {
    const samples = [
      ...(await sideBySide('core', {
        'Map.get + JSON.parse (limit)': () => JSON.parse(limitMap.get(key)!),
        'memory hit (getOrSet)': () => cache.getOrSet(key, async () => rows, deps),
        'key generation (findMany args)': () =>
          generateQueryCacheKey({ model: 'Post', operation: 'findMany', args: prismaArgs }),
        'codec encode 20 rows': () => cache.codec.encode(rows),
        'codec decode 20 rows': () => cache.codec.decode(encoded.json, encoded.tagged),
        'redis hit (getOrSet)': () => redisCache.getOrSet(key, async () => rows, deps),
      })),
      // signed vs unsigned, call by call (the difference is a few microseconds); each store in a
      // group of its own, so neither memory task ever runs right after a Redis round trip
      ...(await interleaved(SIGNED_MEMORY, {
        'memory hit': { fn: () => cache.getOrSet(key, async () => rows, deps) },
        'memory hit, signed': { fn: () => signedCache.getOrSet(key, async () => rows, deps) },
      })),
      ...(await interleaved(SIGNED_REDIS, {
        'redis hit': { fn: () => redisCache.getOrSet(key, async () => rows, deps) },
        'redis hit, signed': { fn: () => signedRedis.getOrSet(key, async () => rows, deps) },
      })),
      // the same calls back to back and right after an idle wait (see IDLE_NOTE)
      ...(await interleaved(BACK_TO_BACK, idleProbe(cache, key, rows, deps))),
      ...(await interleaved(AFTER_IDLE, idleProbe(cache, key, rows, deps, 1))),
    ]
    if (signedCache.stats().hits === 0 || signedCache.stats().badSignatures > 0)
      throw new Error('core: the signed cache did not hit')

    // Round trips per hit, counted by Redis itself.
    const n = smoke ? 50 : 2000
    const before = await commandCount(admin)
    for (let i = 0; i < n; i++) await redisCache.getOrSet(key, async () => rows, deps)
    const perHit = ((await commandCount(admin)) - before - 1) / n // the INFO call itself counts once

    progress('throughput at concurrency 1, 16, 64')
    const ms = smoke ? 50 : 1000
    const facts: Record<string, string | number> = {
      'redis commands per hit': Number(perHit.toFixed(3)),
    }
    for (const c of [1, 16, 64]) {
      facts[`memory hits/s @${c}`] = await throughput(
        () => cache.getOrSet(key, async () => rows, deps),
        c,
        ms,
      )
      facts[`redis hits/s @${c}`] = await throughput(
        () => redisCache.getOrSet(key, async () => rows, deps),
        c,
        ms,
      )
    }

    progress('memory: 100k entries against the bound')
    Object.assign(facts, await memoryFootprint(smoke ? 5_000 : 100_000))

    const limit = find(samples, 'core', 'Map.get + JSON.parse (limit)')
    const hit = find(samples, 'core', 'memory hit (getOrSet)')
    const signed = (name: string) => {
      const group = name.startsWith('memory') ? SIGNED_MEMORY : SIGNED_REDIS
      return find(samples, group, `${name}, signed`).p50 / find(samples, group, name).p50
    }
    facts['signed memory hit / memory hit'] = Number(signed('memory hit').toFixed(2))
    facts['signed redis hit / redis hit'] = Number(signed('redis hit').toFixed(2))
    const targets = [
      target('core: signed memory hit vs memory hit', signed('memory hit'), 1.25, '×', true),
      target('core: memory hit vs Map.get + JSON.parse (limit)', hit.p50 / limit.p50, 3, '×', true),
      targetExactly('core: redis commands (round trips) per hit', perHit, 1),
      target(
        'core: memory store within its byte bound',
        Number(facts['store bytes / bound (%)']),
        100,
        '%',
        true,
      ),
    ]
    facts['memory hit / limit'] = `${speedup(limit, hit).toFixed(2)}`
    for (const name of Object.keys(idleProbe(cache, key, rows, deps))) {
      const ratio = find(samples, AFTER_IDLE, name).p50 / find(samples, BACK_TO_BACK, name).p50
      facts[`${name}: after idle / back to back`] = Number(ratio.toFixed(1))
    }
    return { samples, targets, facts, notes: [IDLE_NOTE] }
  } finally {
    await adapter.disconnect()
    await redis.stop()
  }
}

/** Three calls of growing size, each with an untimed sleep of `idleMs` before it, if given. */
function idleProbe(
  cache: ReturnType<typeof createQueryCache>,
  key: string,
  rows: unknown,
  deps: { models: string[] },
  idleMs?: number,
): Record<string, TaskSpec> {
  const idle =
    idleMs === undefined
      ? {}
      : { beforeEach: () => new Promise<void>((resolve) => setTimeout(resolve, idleMs)) }
  return {
    'empty async function': { fn: async () => {}, ...idle },
    'key generation (findMany args)': {
      fn: () => generateQueryCacheKey({ model: 'Post', operation: 'findMany', args: prismaArgs }),
      ...idle,
    },
    'memory hit (getOrSet)': { fn: () => cache.getOrSet(key, async () => rows, deps), ...idle },
  }
}

export async function commandCount(admin: {
  info(section: string): Promise<string>
}): Promise<number> {
  const info = await admin.info('commandstats')
  let total = 0
  for (const m of info.matchAll(/calls=(\d+)/g)) total += Number(m[1])
  return total
}

async function memoryFootprint(entries: number) {
  const maxBytes = 64 * 1024 * 1024
  const store = memoryStore({ maxEntries: entries * 2, maxBytes })
  const cache = createQueryCache({ store, ttl: null })
  const row = twentyRows()[0]!
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  for (let i = 0; i < entries; i++)
    await cache.set(`row:${i}`, { ...row, id: i }, { models: ['Post'] })
  global.gc?.()
  const rssAfter = process.memoryUsage().rss
  return {
    'entries written': entries,
    'entries kept': store.size.entries,
    'store bytes / entry': Math.round(store.size.bytes / store.size.entries),
    'store bytes / bound (%)': Number(((store.size.bytes / maxBytes) * 100).toFixed(1)),
    'RSS growth (MiB)': Number(((rssAfter - rssBefore) / 1024 / 1024).toFixed(1)),
    'RSS bytes / entry': Math.round((rssAfter - rssBefore) / store.size.entries),
  }
}
