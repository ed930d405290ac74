import { describeStoreContract } from '@querycache/core/store-contract'
import { redisAdapter, redisUnderTest } from '@querycache/testing/redis'
import { Keyv } from 'keyv'
import { expect, it, vi } from 'vitest'
import { createQueryCache, memoryStore } from '../src/index.js'

describeStoreContract('memory', () => {
  const store = memoryStore({ maxEntries: 1000 })
  // the memory store is its own backing store
  return {
    store,
    raw: {
      get: (k) => store.get(k),
      set: (k, v) => store.set(k, v),
      delete: (k) => store.deleteMany([k]),
    },
    close: async () => {},
  }
})

describeStoreContract('keyv over a Map', () => {
  const keyv = new Keyv({ store: new Map() })
  return {
    store: keyv,
    raw: {
      get: async (k) => (await keyv.get<string>(k)) ?? undefined,
      set: async (k, v) => void (await keyv.set(k, v)),
      delete: async (k) => void (await keyv.delete(k)),
    },
    close: async () => {},
  }
})

// a Map given as it is: querycache wraps it in a Keyv of its own, which keeps its records unserialized
describeStoreContract('a Map, given as it is', () => {
  const map = new Map<string, { value: string; expires?: number | null }>()
  return {
    store: map,
    raw: {
      get: async (k) => map.get(k)?.value,
      set: async (k, v) => void map.set(k, { value: v }),
      delete: async (k) => void map.delete(k),
    },
    close: async () => {},
  }
})

describeStoreContract('redis (@keyv/redis)', async () => {
  const adapter = redisAdapter()
  return redisUnderTest(adapter, await adapter.getClient())
})

describeStoreContract(
  'redis (@keyv/redis) with the near cache',
  async () => {
    const adapter = redisAdapter()
    return redisUnderTest(adapter, await adapter.getClient())
  },
  // short maxAge: two tests change Redis behind the library's back and wait for the copies to age out
  { nearCache: { maxAge: 0.3 } },
)

it('a Keyv over a Map is in-process: its reads arm no timeout timer, a remote store’s do', async () => {
  const timersDuringHit = async (store: object) => {
    const cache = createQueryCache({ store: new Keyv(store as never), namespace: 'timers' })
    await cache.getOrSet('k', async () => 1)
    await cache.flush()
    const spy = vi.spyOn(globalThis, 'setTimeout')
    try {
      expect(await cache.getOrSet('k', async () => 2)).toBe(1)
      return spy.mock.calls.length
    } finally {
      spy.mockRestore()
      await cache.close()
    }
  }
  expect(await timersDuringHit(new Map())).toBe(0)
  // the same Map behind a store adapter of its own: querycache cannot tell it is local
  const map = new Map<string, unknown>()
  const wrapped = {
    get: async (k: string) => map.get(k),
    set: async (k: string, v: unknown) => void map.set(k, v),
    delete: async (k: string) => map.delete(k),
    clear: async () => map.clear(),
    on: () => wrapped,
  }
  expect(await timersDuringHit(wrapped)).toBeGreaterThan(0)
})

it('a Map given as it is keeps Keyv’s records unserialized; a Keyv of the caller’s keeps its own serializer', async () => {
  const bare = new Map<string, unknown>()
  const viaKeyv = new Map<string, unknown>()
  for (const store of [bare, new Keyv({ store: viaKeyv })]) {
    const cache = createQueryCache({ store, namespace: 'records' })
    await cache.getOrSet('k', async () => ({ n: 1 }))
    await cache.flush()
    expect(await cache.getOrSet('k', async () => ({ n: 2 }))).toEqual({ n: 1 })
    await cache.close()
  }
  const entryOf = (m: Map<string, unknown>) => [...m].find(([k]) => k.includes(':e:'))![1]
  expect(entryOf(bare)).toMatchObject({ value: expect.stringContaining('"k"') })
  expect(typeof entryOf(viaKeyv)).toBe('string') // Keyv's JSON envelope
})
