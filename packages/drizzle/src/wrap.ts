// withQueryCache: the one function users call.
import { CacheOptionError } from '@querycache/core'
import { wrapDatabase } from './db.js'
import { Engine } from './engine.js'
import { type CachedDatabase, type DrizzleCacheOptions, ENGINE } from './types.js'

/**
 * Wraps a Drizzle db so its reads are cached and its writes invalidate. The result has the same
 * type as `db` (plus a typed `$cache`); the original `db` is left untouched.
 */
export function withQueryCache<TDb extends object>(
  db: TDb,
  options: DrizzleCacheOptions = {},
): CachedDatabase<TDb> {
  if ((db as Record<symbol, unknown>)[ENGINE]) {
    throw new CacheOptionError('withQueryCache: this db is already wrapped')
  }
  const engine = new Engine(db, options)
  return wrapDatabase(db, engine, undefined) as CachedDatabase<TDb>
}

/** Alias of {@link withQueryCache}. */
export const withCache = withQueryCache
