// querycache on a real local Redis Cluster (3 masters, 1 replica each; see vitest.config.ts): the
// store contract, the key layout (a hit is one MGET on one node), and deletePattern/clear on
// every master.
import { describeStoreContract } from '@querycache/core/store-contract'
import { redisUnderTest } from '@querycache/testing/redis'
import {
  clusterAdapter,
  clusterClient,
  sharedClusterNodes,
} from '@querycache/testing/shared-cluster'
import { afterAll, describe, expect, it } from 'vitest'
import { createQueryCache, keyvStore } from '../src/index.js'
import { keySlot } from '../src/keys.js'

describeStoreContract('redis cluster (@keyv/redis createCluster)', async () => {
  const adapter = clusterAdapter()
  return redisUnderTest(adapter, await clusterClient(adapter))
})

describeStoreContract(
  'redis cluster with the near cache',
  async () => {
    const adapter = clusterAdapter()
    return redisUnderTest(adapter, await clusterClient(adapter))
  },
  // short maxAge: two tests change Redis behind the library's back and wait for the copies to age out
  { nearCache: { maxAge: 0.3 } },
)

describe('on a Redis Cluster', () => {
  const adapter = clusterAdapter()
  afterAll(() => adapter.disconnect())
  let n = 0
  const namespace = () => `cluster-${process.pid}-${++n}`

  async function masters() {
    const client = await clusterClient(adapter)
    return Promise.all(client.masters.map((m) => client.nodeClient(m)))
  }

  /** Calls of each data command on each master since the last reset, e.g. [{ mget: 3 }, …]. */
  async function commandCalls() {
    return Promise.all(
      (await masters()).map(async (node) => {
        const calls: Record<string, number> = {}
        for (const line of (await node.info('commandstats')).split('\n')) {
          const m = /^cmdstat_([a-z|]+):calls=(\d+)/.exec(line)
          if (m && !/^(info|config|cluster|replconf|ping|command)/.test(m[1]!))
            calls[m[1]!] = Number(m[2])
        }
        return calls
      }),
    )
  }
  const resetStats = async () => {
    for (const node of await masters()) await node.configResetStat()
  }

  it('computes the same hash slot as the server', async () => {
    const client = await clusterClient(adapter)
    const keys = [
      'plain',
      'qc:t:{qc~3.7}:m:abc',
      '{user1000}.following',
      'foo{}{bar}',
      'foo{{bar}}zap',
      'foo{bar}{zap}',
      '{',
      '}{',
      'é{ü}',
      'x'.repeat(300),
    ]
    for (const key of keys) {
      const slot = await client.sendCommand(undefined, true, ['CLUSTER', 'KEYSLOT', key])
      expect(keySlot(key), key).toBe(Number(slot))
    }
  })

  it('a hit is one MGET on one node, and the groups spread entries over every master', async () => {
    const cache = createQueryCache({ store: adapter, namespace: namespace() })
    const read = (i: number) =>
      cache.getOrSet(`q:${i}`, () => ({ i }), { models: ['User', 'Post'], tags: ['feed'] })
    for (let i = 0; i < 200; i++) await read(i)
    await cache.flush() // the last entry is written behind its miss
    await resetStats()
    for (let i = 0; i < 200; i++) expect(await read(i)).toEqual({ i })
    expect(cache.stats().hits).toBe(200)
    const calls = await commandCalls()
    // every hit read its entry and its three tokens with one MGET; nothing else was sent
    expect(calls.reduce((sum, c) => sum + (c.mget ?? 0), 0)).toBe(200)
    for (const c of calls) expect(Object.keys(c)).toEqual(['mget'])
    // each master served a share of the hits
    for (const c of calls) expect(c.mget).toBeGreaterThan(200 / 3 / 2)
    await cache.clear()
  })

  it('an invalidation writes each group once and waits once per master for a replica', async () => {
    const cache = createQueryCache({ store: adapter, namespace: namespace() })
    await cache.getOrSet('q', () => 1, { models: ['User'] })
    await resetStats()
    await cache.invalidateModels(['User', 'Post'])
    const calls = await commandCalls()
    const total = (name: string) => calls.reduce((sum, c) => sum + (c[name] ?? 0), 0)
    // both models' tokens in one MSET per group; one WAIT per master, after its MSETs
    expect(total('mset')).toBe(16)
    expect(calls.map((c) => c.wait)).toEqual([1, 1, 1])
    expect(await cache.getOrSet('q', () => 2, { models: ['User'] })).toBe(2)
    expect(cache.stats().errors).toBe(0)
    await cache.clear()
  })

  it('deletePattern and clear reach every master and nothing outside the namespace', async () => {
    const client = await clusterClient(adapter)
    const ns = namespace()
    const cache = createQueryCache({ store: adapter, namespace: ns })
    const other = createQueryCache({ store: adapter, namespace: `${ns}-other` })
    // foreign keys on every master (the slots of a, b, c … land on different nodes)
    const foreign = 'abcdefghij'.split('').map((c) => `${ns}-foreign:{${c}}`)
    for (const key of foreign) await client.set(key, 'keep')
    for (let i = 0; i < 60; i++) await cache.set(`article:${i}`, i)
    for (let i = 0; i < 10; i++) await cache.set(`user:${i}`, i)
    await other.set('article:1', 'other')

    const entriesPerMaster = async () =>
      Promise.all(
        (await masters()).map(async (node) => {
          let count = 0
          for await (const batch of node.scanIterator({ MATCH: `${ns}:e:*`, COUNT: 500 }))
            count += batch.length
          return count
        }),
      )
    expect((await entriesPerMaster()).every((c) => c > 0)).toBe(true)

    expect(await cache.deletePattern('article:*')).toBe(60)
    expect(await cache.get('article:5')).toBeUndefined()
    expect(await cache.get('user:5')).toBe(5)
    await cache.clear()
    expect(await entriesPerMaster()).toEqual([0, 0, 0])
    expect(await cache.get('user:5')).toBeUndefined()
    expect(await other.get('article:1')).toBe('other')
    for (const key of foreign) expect(await client.get(key)).toBe('keep')
    for (const key of foreign) await client.del(key)
    await other.clear()
  })

  it('keyvStore takes the cluster options; 0 replicas to wait for sends no WAIT', async () => {
    const store = keyvStore(adapter, { cluster: { slotGroups: 4, waitReplicas: 0 } })
    expect(store.slotGroups).toBe(4)
    const cache = createQueryCache({ store, namespace: namespace() })
    await cache.getOrSet('q', () => 1, { models: ['User'] })
    await resetStats()
    await cache.invalidateModel('User')
    const calls = await commandCalls()
    expect(calls.reduce((sum, c) => sum + (c.mset ?? 0), 0)).toBe(4)
    expect(calls.some((c) => c.wait !== undefined)).toBe(false)
    await cache.clear()
  })

  it('rejects a slotGroups that is not an integer from 1 to 1024', () => {
    expect(() => keyvStore(adapter, { cluster: { slotGroups: 0 } })).toThrow(/slotGroups/)
    expect(() => keyvStore(adapter, { cluster: { slotGroups: 2.5 } })).toThrow(/slotGroups/)
  })

  it('closing the cluster client closes the invalidation connections querycache opened', async () => {
    const connected = async () => {
      let total = 0
      for (const node of await masters())
        total += Number(/connected_clients:(\d+)/.exec(await node.info('clients'))?.[1])
      return total
    }
    const before = await connected()
    const own = clusterAdapter()
    const cache = createQueryCache({ store: own, namespace: namespace() })
    await cache.getOrSet('q', () => 1, { models: ['User'] })
    await cache.invalidateModel('User')
    // the caller's client and querycache's own invalidation connections, on every master
    expect(await connected()).toBeGreaterThanOrEqual(before + 6)
    await own.disconnect()
    await new Promise((r) => setTimeout(r, 200))
    // nothing left to keep the process alive
    expect(await connected()).toBe(before)
  })

  it('the shared cluster has three masters', async () => {
    expect(sharedClusterNodes().length).toBe(6)
    expect((await masters()).length).toBe(3)
  })

  it('with the near cache a repeated hit sends no command, and another process hears invalidations through the cluster', async () => {
    const ns = namespace()
    const make = async () => {
      const cache = createQueryCache({
        store: keyvStore(clusterAdapter()),
        namespace: ns,
        nearCache: { heartbeatMs: 100 },
      })
      for (let i = 0; cache.stats().near?.trusted !== true && i < 300; i++)
        await new Promise((r) => setTimeout(r, 10))
      return cache
    }
    const [a, b] = [await make(), await make()]
    try {
      let version = 1
      const read = () => version
      expect(await b.getOrSet('q', read, { models: ['M'] })).toBe(1)
      await resetStats()
      for (let i = 0; i < 50; i++) expect(await b.getOrSet('q', read, { models: ['M'] })).toBe(1)
      const mgets = (await commandCalls()).reduce((sum, c) => sum + (c.mget ?? 0), 0)
      expect(mgets).toBe(0)
      expect(b.stats().near!.hits).toBe(50)
      version = 2
      await a.invalidateModel('M')
      const returned = performance.now()
      while ((await b.getOrSet('q', read, { models: ['M'] })) !== 2) {
        expect(performance.now() - returned).toBeLessThan(1000)
        await new Promise((r) => setTimeout(r, 2))
      }
      expect(b.stats().near!.messages).toBeGreaterThan(0)
      expect(b.stats().near!.flushes).toBe(0)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
