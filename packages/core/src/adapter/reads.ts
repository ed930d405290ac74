import type { QueryCache } from '../cache.js'
import { CacheOptionError } from '../errors.js'

/** One cached read, as an adapter hands it to the cache. */
export interface ReadRequest {
  key: string
  /** What the read depends on (see `Dependencies.read`): invalidating any of them drops it. */
  dependencies: readonly string[]
  ttl?: number | null | undefined
  tags?: readonly string[] | undefined
  swr?: number | undefined
}

/**
 * Runs a read through the cache: a hit is served, a miss runs `run` once (single-flight) and
 * stores what `transform` makes of its result. The query's own error is the caller's; a user
 * mistake in the options fails fast; any other cache trouble falls back to the query.
 */
export async function readThrough<T>(
  cache: QueryCache,
  request: ReadRequest,
  run: () => Promise<T>,
  transform: (value: T) => T = (value) => value,
): Promise<T> {
  let queryFailed = false
  let result: { value: T } | undefined
  try {
    return await cache.getOrSet(
      request.key,
      async () => {
        try {
          const value = transform(await run())
          result = { value }
          return value
        } catch (error) {
          queryFailed = true
          throw error
        }
      },
      {
        ttl: request.ttl,
        models: request.dependencies,
        tags: request.tags,
        swr: request.swr,
      },
    )
  } catch (error) {
    if (queryFailed || error instanceof CacheOptionError) throw error
    if (result) return result.value
    return transform(await run())
  }
}
