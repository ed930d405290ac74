// Redis Cluster: the same Prisma read on PostgreSQL uncached vs a querycache hit on one Redis vs a
// hit on a real local Redis Cluster (3 masters, 1 replica each), side by side in one run; the two
// hits again call by call, interleaved, for the target; and the commands a hit costs on the
// cluster, counted by every master's INFO commandstats.
import { createQueryCache, type QueryCache } from '@querycache/core'
import { cacheExtension } from '@querycache/prisma'
import type { BlogClient } from '@querycache/schema'
import { LocalCluster } from '@querycache/testing/cluster'
import { clusterAdapter } from '@querycache/testing/redis'
import { type BenchRedis, seededDatabase } from '../fixtures.js'
import {
  find,
  interleaved,
  progress,
  type SuiteResult,
  sideBySide,
  smoke,
  speedup,
  target,
  targetExactly,
} from '../harness.js'
import { JOIN, QUERIES } from './prisma.js'
import { sameData } from './shared.js'

const read = QUERIES[JOIN]!

export const CLUSTER_NOTE =
  'Redis Cluster: 3 masters with 1 replica each, started by the bench from the same redis-server on loopback; "single Redis" is the redis-server the other suites use. A hit reads its entry and the tokens it depends on with one MGET: querycache keeps them in one hash slot (one of 16 slot groups spread over the masters). The target compares the two hits call by call, interleaved (group "…, Redis Cluster vs single Redis"), as the other hit targets are; the side-by-side group gives the speed-ups over the uncached query.'

export async function clusterSuite(redis: BenchRedis): Promise<SuiteResult> {
  progress('starting a local Redis Cluster (3 masters, 3 replicas)')
  const cluster = await LocalCluster.start()
  const db = await seededDatabase('postgresql')
  const base = db.client()
  const caches: QueryCache[] = []
  const client = (cache: QueryCache) => {
    caches.push(cache)
    return base.$extends(cacheExtension({ cache })) as unknown as BlogClient
  }
  const adapter = clusterAdapter(cluster.rootNodes)
  const onCluster = client(
    createQueryCache({ store: adapter, namespace: 'bench-cluster', ttl: null, timeoutMs: 1000 }),
  )
  const onRedis = client(
    createQueryCache({
      store: redis.adapter(),
      namespace: 'bench-cluster-single',
      ttl: null,
      timeoutMs: 1000,
    }),
  )
  try {
    await base.$connect()
    const truth = await read(base)
    for (const c of [onRedis, onCluster]) {
      await read(c)
      if (!sameData(await read(c), truth))
        throw new Error('a cluster hit differs from the database')
    }
    const group = 'Prisma PostgreSQL on Redis Cluster: findMany 20 rows + include author'
    const samples = await sideBySide(group, {
      uncached: () => read(base),
      'single Redis hit': () => read(onRedis),
      'Redis Cluster hit': () => read(onCluster),
    })
    // the target: both hits call by call, interleaved, so drift of the machine hits both alike
    const pair = `${group}, Redis Cluster vs single Redis`
    const missesBefore = caches.map((c) => c.stats().misses)
    const paired = await interleaved(pair, {
      'single Redis hit': { fn: () => read(onRedis) },
      'Redis Cluster hit': { fn: () => read(onCluster) },
    })
    if (caches.some((c, i) => c.stats().misses !== missesBefore[i]))
      throw new Error(`${pair}: a hit task missed`)
    const hitsBefore = caches[0]!.stats().hits

    // commands per hit, counted by the masters themselves
    const n = smoke ? 50 : 2000
    await cluster.resetStats()
    for (let i = 0; i < n; i++) await read(onCluster)
    const masters = await cluster.masters()
    const perMaster = await Promise.all(masters.map((port) => cluster.commandstats(port)))
    const data = (stats: Record<string, number>) =>
      Object.entries(stats)
        .filter(([name]) => !/^(info|config|cluster|replconf|ping|command)/.test(name))
        .reduce((sum, [, calls]) => sum + calls, 0)
    const commands = perMaster.reduce((sum, s) => sum + data(s), 0)
    const hits = caches[0]!.stats().hits - hitsBefore
    if (hits < n) throw new Error(`only ${hits} of ${n} cluster reads were hits`)

    const uncached = find(samples, group, 'uncached')
    const single = find(samples, group, 'single Redis hit')
    const clustered = find(samples, group, 'Redis Cluster hit')
    const pairedSingle = find(paired, pair, 'single Redis hit')
    const pairedCluster = find(paired, pair, 'Redis Cluster hit')
    return {
      samples: [...samples, ...paired],
      targets: [
        targetExactly('Redis Cluster: commands (round trips) per hit', commands / n, 1),
        target(
          'Prisma PostgreSQL: Redis Cluster hit vs uncached join (findMany 20 rows + include author)',
          speedup(clustered, uncached),
          3,
        ),
        target(
          'Prisma PostgreSQL: Redis Cluster hit vs single Redis hit (time, lower is better)',
          pairedCluster.p50 / pairedSingle.p50,
          1.25,
          '×',
          true,
        ),
      ],
      facts: {
        'cluster: commands per hit': Number((commands / n).toFixed(3)),
        'cluster: MGETs per master over the hits': perMaster.map((s) => s.mget ?? 0).join(' / '),
        'cluster: hit speedup over uncached': Number(speedup(clustered, uncached).toFixed(1)),
        'single Redis: hit speedup over uncached': Number(speedup(single, uncached).toFixed(1)),
      },
      notes: [CLUSTER_NOTE],
    }
  } finally {
    for (const c of caches) await c.close()
    await base.$disconnect()
    await adapter.disconnect().catch(() => {})
    await db.drop()
    await cluster.stop()
  }
}
