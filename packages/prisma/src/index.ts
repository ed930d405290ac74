export {
  CacheOptionError,
  createQueryCache,
  keyvStore,
  memoryStore,
  QueryCache,
  type QueryCacheOptions,
} from '@querycache/core'
export type { CacheCallInfo, CacheExplanation } from '@querycache/core/adapter'
export type { CacheCallOptions, CacheExtensionOptions, RawCacheOptions } from './extension.js'
export { cacheExtension, decimalType } from './extension.js'
export { SchemaGraph } from './schema.js'
