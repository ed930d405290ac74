// Prisma: the same three reads uncached (a plain PrismaClient) vs a querycache hit (memory store,
// Redis) vs a querycache miss, on SQLite and on PostgreSQL (and MySQL/MariaDB with MYSQL_URL),
// same data, same run.
import { createQueryCache, memoryStore, type QueryCache } from '@querycache/core'
import { cacheExtension } from '@querycache/prisma'
import type { BlogClient } from '@querycache/schema'
import { type BenchRedis, PROVIDERS, type Provider, seededDatabase, short } from '../fixtures.js'
import {
  find,
  interleaved,
  overheadPercent,
  progress,
  round,
  type Sample,
  type SuiteResult,
  sideBySide,
  smoke,
  speedup,
  type Target,
  target,
  targetExactly,
  throughput,
} from '../harness.js'
import {
  FLOOR_TARGETS_NOTE,
  floorFigures,
  fromNearMemory,
  HIT_METHOD,
  hitsAndMisses,
  missTargets,
  NEAR_NOTE,
  nearCacheFigures,
  nearCacheOn,
  redisGetOf,
  sameData,
  storedEntry,
} from './shared.js'

type Read = (client: BlogClient) => Promise<unknown>

/** The bench's Prisma queries, by name (profile.ts and the cluster suite run them too). */
export const QUERIES: Record<string, Read> = {
  'findUnique by id': (c) => c.post.findUnique({ where: { id: 42 } }),
  'findMany 20 rows + include author': (c) =>
    c.post.findMany({
      where: { published: true },
      include: { author: true },
      orderBy: { createdAt: 'desc' },
      take: 20,
    }),
  'groupBy authorId (_count, _avg)': (c) =>
    c.post.groupBy({
      by: ['authorId'],
      _count: { _all: true },
      _avg: { score: true },
      orderBy: { authorId: 'asc' },
      take: 20,
    }),
}
export const JOIN = 'findMany 20 rows + include author'

export const MISS_METHOD =
  'Miss overhead: the uncached query and the same query through querycache on a miss run interleaved (one call of each per round, alternating order, so database drift hits both alike; groups "…, misses"). Before each miss call, untimed, the model is invalidated, so every timed miss builds the key, reads the store (entry + tokens), finds the entry dead, runs the query, encodes and stores the result. The run fails if a miss task ever hits or a hit task ever misses (cache stats).'

const PRISMA_NOTE =
  '"uncached" is a plain PrismaClient (no extension). "floor" is the same client with an `$allOperations` hook that returns the result object at once: what Prisma itself costs before any cache can answer. Redis is a redis-server of the bench\'s own, so INFO commandstats counts only our commands.'

export async function prismaSuite(redis: BenchRedis): Promise<SuiteResult> {
  const result: SuiteResult = { samples: [], targets: [], facts: {} }
  for (const provider of PROVIDERS) {
    const r = await onProvider(provider, redis)
    result.samples.push(...r.samples)
    result.targets.push(...r.targets)
    Object.assign(result.facts, r.facts)
  }
  result.notes = [FLOOR_TARGETS_NOTE, HIT_METHOD, MISS_METHOD, PRISMA_NOTE, NEAR_NOTE]
  return result
}

async function onProvider(provider: Provider, redis: BenchRedis): Promise<SuiteResult> {
  const P = short(provider)
  const db = await seededDatabase(provider)
  const base = db.client()
  const caches: QueryCache[] = []
  const client = (cache: QueryCache) => {
    caches.push(cache)
    return base.$extends(cacheExtension({ cache })) as unknown as BlogClient & {
      $cache: QueryCache
    }
  }
  const memory = client(createQueryCache({ store: memoryStore(), ttl: null }))
  const memoryMiss = client(createQueryCache({ store: memoryStore(), ttl: null }))
  const ns = `bench-prisma-${provider}`
  const onRedis = client(
    createQueryCache({ store: redis.adapter(), namespace: ns, ttl: null, timeoutMs: 1000 }),
  )
  const near = client(await nearCacheOn(redis, `${ns}-near`))
  const redisMiss = client(
    createQueryCache({
      store: redis.adapter(),
      namespace: `${ns}-miss`,
      ttl: null,
      timeoutMs: 1000,
    }),
  )
  // the floor of any cache extension: Prisma's own query pipeline up to an $allOperations hook
  // that answers at once with the very same result object (no key, no store, no copy)
  let answer: unknown
  const floor = base.$extends({
    query: { $allOperations: async () => answer },
  }) as unknown as BlogClient
  // the floor of a Redis hit: the same, after one Redis GET of the entry text of this result
  let redisGet: () => Promise<unknown> = async () => undefined
  const floorWithGet = base.$extends({
    query: {
      $allOperations: async () => {
        await redisGet()
        return answer
      },
    },
  }) as unknown as BlogClient
  const samples: Sample[] = []
  const targets: Target[] = []
  const facts: Record<string, string | number> = {}
  try {
    await base.$connect()
    for (const [name, read] of Object.entries(QUERIES)) {
      const group = `Prisma ${P}: ${name}`
      // warm every cache and check that a hit returns exactly what the database returns
      const uncachedResult = await read(base)
      for (const c of [memory, onRedis, near]) {
        await read(c)
        if (!sameData(await read(c), uncachedResult))
          throw new Error(`${group}: a cache hit differs from the uncached result`)
      }
      answer = uncachedResult
      // the very string querycache stores for this result (entry head + payload)
      const probe = memoryStore()
      const probed = client(createQueryCache({ store: probe, ttl: null }))
      await read(probed)
      await probed.$cache.flush() // the entry is written behind the read
      const json = await storedEntry(probe)
      const payloadBytes = Buffer.byteLength(json)
      redisGet = await redisGetOf(redis, json)
      const tasks: Parameters<typeof sideBySide>[1] = {
        uncached: () => read(base),
        'floor: Prisma, $extends hook answering at once': () => read(floor),
        'memory hit': () => read(memory),
        'floor + Redis GET of the entry': () => read(floorWithGet),
        'redis hit': () => read(onRedis),
        'near cache hit (Redis behind)': () => read(near),
      }
      if (name === JOIN) {
        // a Map lookup and a JSON.parse of that string: what a hit parsing its entry would pay
        const limit = new Map([['k', json]])
        tasks['Map.get + JSON.parse of the entry'] = () => JSON.parse(limit.get('k')!)
      }
      const watched = {
        hits: [memory.$cache, onRedis.$cache, near.$cache],
        misses: [memoryMiss.$cache, redisMiss.$cache],
      }
      const before = hitsAndMisses(watched)
      const s = await fromNearMemory(
        near.$cache,
        () => read(near),
        () => sideBySide(group, tasks),
      )
      // the hit targets, call by call next to their floors (see HIT_METHOD)
      const hits = await floorFigures(`Prisma ${P}`, name, group, {
        hit: () => read(memory),
        floor: () => read(floor),
        redisHit: () => read(onRedis),
        floorWithGet: () => read(floorWithGet),
      })
      // misses against the bare query, interleaved (see MISS_METHOD)
      const missGroup = `${group}, misses`
      const m = await interleaved(missGroup, {
        uncached: { fn: () => read(base) },
        'memory miss': {
          fn: () => read(memoryMiss),
          beforeEach: () => memoryMiss.$cache.invalidateModel('Post'),
        },
        'redis miss': {
          fn: () => read(redisMiss),
          beforeEach: () => redisMiss.$cache.invalidateModel('Post'),
        },
        'one Redis GET of the entry': { fn: () => redisGet() },
      })
      const after = hitsAndMisses(watched)
      // the bench measures what it says: hits were hits, misses were misses
      if (after.hitMisses !== before.hitMisses)
        throw new Error(`${group}: ${after.hitMisses - before.hitMisses} misses in the hit tasks`)
      if (after.missHits !== before.missHits)
        throw new Error(`${group}: ${after.missHits - before.missHits} hits in the miss task`)
      samples.push(...s, ...hits.samples, ...m)

      const uncached = find(s, group, 'uncached')
      const hit = find(s, group, 'memory hit')
      const floorSample = find(s, group, 'floor: Prisma, $extends hook answering at once')
      const redisHit = find(s, group, 'redis hit')
      targets.push(...hits.targets)
      facts[`${P} ${name}: payload bytes`] = payloadBytes
      const missBase = find(m, missGroup, 'uncached')
      const miss = missTargets(`Prisma ${P}`, name, {
        uncached: missBase,
        memoryMiss: find(m, missGroup, 'memory miss'),
        redisMiss: find(m, missGroup, 'redis miss'),
        redisGet: find(m, missGroup, 'one Redis GET of the entry'),
      })
      const missPct = miss.missPct
      const redisMissPct = overheadPercent(find(m, missGroup, 'redis miss'), missBase)
      facts[`${P} ${name}: memory hit speedup`] = round(speedup(hit, uncached))
      facts[`${P} ${name}: redis hit speedup`] = round(speedup(redisHit, uncached))
      facts[`${P} ${name}: memory miss overhead (%)`] = round(missPct)
      const nearFigures = await nearCacheFigures({
        orm: 'Prisma',
        provider: P,
        query: name,
        group,
        facts,
        cache: near.$cache,
        near: () => read(near),
        memory: () => read(memory),
        sideBySide: {
          nearHit: find(s, group, 'near cache hit (Redis behind)'),
          uncached,
          redisHit: find(s, group, 'redis hit'),
        },
      })
      samples.push(...nearFigures.samples)
      targets.push(nearFigures.target)
      facts[
        `${P} ${name}: best speedup any Prisma cache extension could reach (uncached / floor)`
      ] = round(speedup(floorSample, uncached))
      facts[`${P} ${name}: Prisma's own share of a querycache memory hit (floor / hit, %)`] = round(
        (floorSample.p50 / hit.p50) * 100,
        1,
      )
      facts[`${P} ${name}: redis miss overhead (%)`] = round(redisMissPct)
      // write-behind: a Redis miss may cost its store read, one round trip, over the query
      facts[`${P} ${name}: redis miss overhead (Redis round trips)`] = round(miss.redisTrips, 2)
      if (provider === 'postgresql') targets.push(...miss.targets)
      if (name === JOIN) {
        const limit = find(s, group, 'Map.get + JSON.parse of the entry')
        facts[`${P} ${name}: memory hit vs Map.get + JSON.parse of its entry`] = round(
          hit.p50 / limit.p50,
        )
        if (provider === 'postgresql')
          targets.push(
            target(
              `Prisma ${P}: Redis hit vs uncached join (${name})`,
              speedup(find(s, group, 'redis hit'), uncached),
              3,
            ),
          )
        // Round trips per Redis hit, counted by Redis itself
        const n = smoke ? 50 : 1000
        const start = await redis.commands()
        for (let i = 0; i < n; i++) await read(onRedis)
        const perHit = ((await redis.commands()) - start) / n
        facts[`${P} redis commands per hit`] = round(perHit, 3)
        if (provider === 'postgresql')
          targets.push(
            targetExactly(`Prisma ${P}: Redis commands (round trips) per hit`, perHit, 1),
          )

        if (provider === 'postgresql') {
          progress(`Prisma ${P}: throughput at concurrency 1, 16, 64 (${name})`)
          const ms = smoke ? 50 : 1000
          for (const c of [1, 16, 64]) {
            facts[`${P} uncached reads/s @${c}`] = await throughput(() => read(base), c, ms)
            facts[`${P} memory hits/s @${c}`] = await throughput(() => read(memory), c, ms)
            facts[`${P} redis hits/s @${c}`] = await throughput(() => read(onRedis), c, ms)
          }
        }
      }
    }
    return { samples, targets, facts }
  } finally {
    for (const c of caches) await c.close().catch(() => {})
    await base.$disconnect().catch(() => {})
    await db.drop()
  }
}
