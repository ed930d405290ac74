// Everything the package exports, without the `$withCache` typing of a particular Drizzle major:
// `index.ts` adds Drizzle 0.45's (the default entry), `drizzle1.d.ts` (at the package root) Drizzle 1.0's.
export type { QueryCacheOptions } from '@querycache/core'
export { CacheOptionError, createQueryCache, QueryCache } from '@querycache/core'
export type { CacheCallInfo, CacheExplanation } from '@querycache/core/adapter'
export { ALL, UNKNOWN_READS } from './analyze.js'
export type {
  CachedDatabase,
  DrizzleCacheOptions,
  DrizzleQueryCache,
  QueryCacheCallOptions,
} from './types.js'
export { withCache, withQueryCache } from './wrap.js'
