import { describeStoreContract } from '@querycache/core/store-contract'
import { redisAdapter, redisUnderTest } from '@querycache/testing/redis'
import { Keyv } from 'keyv'
import { memoryStore } from '../src/index.js'

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
