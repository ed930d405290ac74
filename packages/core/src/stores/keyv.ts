import { Keyv, type KeyvStoreAdapter } from 'keyv'
import { StoreError } from '../errors.js'
import { type PubSubClient, redisChannel } from './redis-channel.js'
import {
  type RedisClusterLike,
  type RedisClusterStoreOptions,
  redisClusterDriver,
  type ScanClient,
  scanNode,
} from './redis-cluster.js'
import { defineStore, type StoreDriver } from './types.js'

export interface KeyvStoreOptions {
  /** Tuning for a KeyvRedis over a Redis Cluster client. */
  cluster?: RedisClusterStoreOptions
  /**
   * `cache.close()` also disconnects this store, so a script ends once it closes its cache.
   * Set false when the Keyv store is shared with other code that closes it. Default true.
   */
  closeStore?: boolean
}

/** What `createQueryCache({ store })` accepts besides a StoreDriver. */
export type KeyvLike = Keyv | KeyvStoreAdapter | Map<unknown, unknown>

/** A node-redis client of one node: SCAN, and pub/sub for the near cache. */
interface RedisNodeClient extends ScanClient {
  publish(channel: string, message: string): Promise<unknown>
  duplicate(): PubSubClient
  on(event: string, listener: () => void): unknown
}

/** The parts of @keyv/redis's KeyvRedis adapter the Redis fast path uses. */
interface KeyvRedisLike {
  namespace?: string | undefined
  throwOnErrors: boolean
  getMany(keys: string[]): Promise<(string | undefined)[]>
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttl?: number): Promise<void>
  deleteMany(keys: string[]): Promise<boolean>
  createKeyPrefix(key: string, namespace?: string): string
  getClient(): Promise<RedisNodeClient>
  disconnect(force?: boolean): Promise<void>
  isCluster?(): boolean
  readonly client?: RedisNodeClient & { readonly isReady?: boolean; readonly isOpen?: boolean }
}

function isKeyv(value: unknown): value is Keyv {
  return (
    value instanceof Keyv ||
    (typeof value === 'object' &&
      value !== null &&
      'store' in value &&
      typeof (value as Keyv).deserializeData === 'function')
  )
}

function isKeyvRedis(value: unknown): value is KeyvRedisLike {
  const v = value as Partial<KeyvRedisLike> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.getClient === 'function' &&
    typeof v.createKeyPrefix === 'function' &&
    typeof v.getMany === 'function' &&
    'throwOnErrors' in v
  )
}

export function isKeyvLike(value: unknown): value is KeyvLike {
  if (value instanceof Map || isKeyv(value)) return true
  const v = value as Partial<KeyvStoreAdapter> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.get === 'function' &&
    typeof v.set === 'function' &&
    typeof v.delete === 'function'
  )
}

/**
 * Wraps a Keyv instance or a Keyv store adapter. A Redis adapter from @keyv/redis (or a Keyv over
 * one) takes a fast path: MGET for a hit in one round trip, SCAN limited to our prefix for clear
 * and deletePattern, and raw strings without Keyv's JSON envelope.
 *
 * A KeyvRedis over a cluster client (`new KeyvRedis(createCluster({ rootNodes }))`) gets the
 * Redis Cluster driver; `cluster` tunes it.
 *
 * querycache needs to see store failures (to fail open and to bypass after a failed
 * invalidation), so it turns on `throwOnErrors` of the Keyv instance / Redis adapter it is given.
 * Give it a Keyv of its own if other code relies on errors being swallowed.
 */
export function keyvStore(input: KeyvLike, options: KeyvStoreOptions = {}): StoreDriver {
  const adapter = isKeyv(input) ? input.store : input
  const closeStore = options.closeStore ?? true
  if (isKeyvRedis(adapter)) {
    // a graceful close waits for queued commands, which a client that is not connected never
    // sends (Redis down): then it is closed at once instead, or close() would never return
    const disconnect = closeStore
      ? () => adapter.disconnect(adapter.client?.isReady === false)
      : undefined
    if (adapter.isCluster?.() !== true) return keyvRedisDriver(adapter, disconnect)
    adapter.throwOnErrors = true
    return {
      ...redisClusterDriver(
        () => adapter.getClient() as unknown as Promise<RedisClusterLike>,
        (key) => adapter.createKeyPrefix(key, adapter.namespace),
        disconnect,
        options.cluster,
      ),
      closedByOwner: () => adapter.client?.isOpen === false,
    }
  }
  const keyv = isKeyv(input)
    ? input
    : new Keyv({ store: input as KeyvStoreAdapter, useKeyPrefix: false })
  if (!isKeyv(input) && input instanceof Map) {
    // a Map handed to querycache holds Keyv's { value, expires } records as they are: turning
    // them into JSON and back on every read would parse each entry twice
    keyv.serialize = undefined
    keyv.deserialize = undefined
  }
  keyv.throwOnErrors = true
  if (adapter && typeof adapter === 'object' && 'throwOnErrors' in adapter) {
    ;(adapter as { throwOnErrors: boolean }).throwOnErrors = true
  }
  const disconnect =
    closeStore && typeof keyv.disconnect === 'function' ? () => keyv.disconnect() : undefined
  return defineStore({
    name: 'keyv',
    // a Keyv over a Map lives in this process: its calls cannot hang, so no timeout timers
    ...(adapter instanceof Map ? { local: true } : {}),
    ...(disconnect ? { close: disconnect } : {}),
    async get(key) {
      return asString(await keyv.get(key))
    },
    async getMany(keys) {
      return (await keyv.getMany(keys)).map(asString)
    },
    async set(key, value, ttlMs) {
      const ok = await keyv.set(
        key,
        value,
        ttlMs === undefined ? undefined : Math.max(1, Math.ceil(ttlMs)),
      )
      if (ok === false) throw new StoreError('QC_STORE_FAILED', `Keyv store refused set of ${key}`)
    },
    async deleteMany(keys) {
      if (keys.length > 0) await keyv.deleteMany(keys)
    },
    ...(typeof keyv.iterator === 'function'
      ? {
          async *scan(prefix: string) {
            let batch: string[] = []
            for await (const [key] of keyv.iterator!(undefined)) {
              if (typeof key === 'string' && key.startsWith(prefix)) batch.push(key)
              if (batch.length >= 500) {
                yield batch
                batch = []
              }
            }
            if (batch.length > 0) yield batch
          },
        }
      : {}),
  })
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function keyvRedisDriver(
  redis: KeyvRedisLike,
  disconnect: (() => Promise<void>) | undefined,
): StoreDriver {
  redis.throwOnErrors = true
  return defineStore({
    name: 'redis',
    ...(disconnect ? { close: disconnect } : {}),
    // node-redis: isOpen stays true while it reconnects, and turns false on disconnect()/quit()
    closedByOwner: () => redis.client?.isOpen === false,
    get: (key) => redis.get(key),
    getMany: (keys) => redis.getMany(keys),
    async set(key, value, ttlMs) {
      await redis.set(key, value, ttlMs === undefined ? undefined : Math.max(1, Math.ceil(ttlMs)))
    },
    async deleteMany(keys) {
      if (keys.length > 0) await redis.deleteMany(keys)
    },
    async *scan(prefix) {
      const client = await redis.getClient()
      yield* scanNode(client, redis.createKeyPrefix(prefix, redis.namespace), prefix)
    },
    ...(redis.client ? { channel: nodeChannel(redis, redis.client) } : {}),
  })
}

/** Pub/sub for the near cache on a KeyvRedis of one node. */
function nodeChannel(redis: KeyvRedisLike, client: RedisNodeClient) {
  return redisChannel({
    prefix: (name) => redis.createKeyPrefix(name, redis.namespace),
    publish: async (channel, message) => {
      await (await redis.getClient()).publish(channel, message)
    },
    // the caller's client object, not getClient(): that would connect (and reconnect) it
    subscriber: () => client.duplicate(),
    owner: client,
    closedEvent: 'end',
  })
}
