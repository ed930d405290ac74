export type { QueryCacheOptions } from '@querycache/core'
export { CacheOptionError, createQueryCache, QueryCache } from '@querycache/core'
export type { CacheCallInfo, CacheExplanation } from '@querycache/core/adapter'

import './augment.js'

export { ALL, UNKNOWN_READS } from './analyze.js'
export type {
  CachedDatabase,
  DrizzleCacheOptions,
  DrizzleQueryCache,
  QueryCacheCallOptions,
} from './types.js'
export { withCache, withQueryCache } from './wrap.js'
