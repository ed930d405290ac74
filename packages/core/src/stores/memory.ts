import { LRUCache } from 'lru-cache'
import { CacheOptionError } from '../errors.js'
import { defineStore, type StoreDriver } from './types.js'

export interface MemoryStoreOptions {
  /** Most entries kept (generation tokens included). Default 10 000. */
  maxEntries?: number
  /** Most bytes kept, counted as UTF-16 string bytes of key + value + a fixed overhead. Default 64 MiB. */
  maxBytes?: number
}

// Per-entry bookkeeping of lru-cache and V8 (node, key object, timers) not visible in the strings.
const ENTRY_OVERHEAD_BYTES = 96

/**
 * An LRU of strings bounded by count and by bytes, its options checked and named after `owner`
 * in errors. The memory store and the near cache hold their strings in one of these.
 */
export function boundedLru(
  options: MemoryStoreOptions,
  owner: string,
): { lru: LRUCache<string, string>; maxEntries: number; maxBytes: number } {
  const maxEntries = options.maxEntries ?? 10_000
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new CacheOptionError(`${owner}: maxEntries must be a positive integer, got ${maxEntries}`)
  }
  if (!Number.isInteger(maxBytes) || maxBytes < 1024) {
    throw new CacheOptionError(
      `${owner}: maxBytes must be an integer of at least 1024, got ${maxBytes}`,
    )
  }
  const lru = new LRUCache<string, string>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (value, key) => (value.length + key.length) * 2 + ENTRY_OVERHEAD_BYTES,
    ttlAutopurge: false,
  })
  return { lru, maxEntries, maxBytes }
}

export interface MemoryStore extends StoreDriver {
  /** Bytes currently accounted for; never above `maxBytes`. */
  readonly size: { entries: number; bytes: number; maxEntries: number; maxBytes: number }
}

/** The default store: a bounded LRU in this process (lru-cache), bounded by count and by bytes. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const { lru, maxEntries, maxBytes } = boundedLru(options, 'memoryStore')
  return defineStore({
    name: 'memory',
    local: true,
    get size() {
      return { entries: lru.size, bytes: lru.calculatedSize, maxEntries, maxBytes }
    },
    async get(key) {
      return lru.get(key)
    },
    async getMany(keys) {
      return keys.map((k) => lru.get(k))
    },
    getManyNow(keys) {
      return keys.map((k) => lru.get(k))
    },
    async set(key, value, ttlMs) {
      // an entry too big for the whole store is refused by lru-cache; that is a skip, not an error
      if (ttlMs === undefined) lru.set(key, value)
      else lru.set(key, value, { ttl: Math.max(1, Math.ceil(ttlMs)) })
    },
    async deleteMany(keys) {
      for (const k of keys) lru.delete(k)
    },
    async *scan(prefix) {
      const batch: string[] = []
      for (const k of lru.keys()) if (k.startsWith(prefix)) batch.push(k)
      yield batch
    },
  })
}
