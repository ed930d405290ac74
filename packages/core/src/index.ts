export type {
  CallResult,
  EntryOptions,
  ErrorContext,
  ErrorOperation,
  InvalidationEvent,
  QueryCacheOptions,
} from './cache.js'
export { createQueryCache, QueryCache } from './cache.js'
export type { CodecType, Encoded } from './codec.js'
export { Codec } from './codec.js'
export type { QueryCacheErrorCode } from './errors.js'
export {
  CacheOptionError,
  CodecError,
  CorruptEntryError,
  IntegrityError,
  QueryCacheError,
  StoreError,
} from './errors.js'
export type { IntegrityOptions } from './integrity.js'
export { generateQueryCacheKey, stableStringify } from './keys.js'
export type { NearCacheMessage, NearCacheOptions, NearCacheStats } from './near.js'
export type { CacheStats, ModelStats } from './stats.js'
export type { KeyvLike, KeyvStoreOptions } from './stores/keyv.js'
export { keyvStore } from './stores/keyv.js'
export type { MemoryStore, MemoryStoreOptions } from './stores/memory.js'
export { memoryStore } from './stores/memory.js'
export type { RedisClusterStoreOptions } from './stores/redis-cluster.js'
export type { StoreChannel, StoreDriver, Subscription } from './stores/types.js'
export { defineStore } from './stores/types.js'
export type {
  ErrorEvent,
  InvalidateEvent,
  ReadEvent,
  SetEvent,
  TelemetryOptions,
} from './telemetry.js'
export { TELEMETRY_CHANNELS } from './telemetry.js'
