import type { CallResult, QueryCache } from '../cache.js'
import { CacheOptionError } from '../errors.js'
import { type CacheCallInfo, reportInfo } from './call-options.js'

/** One cached read, as an adapter hands it to the cache. */
export interface ReadRequest {
  key: string
  /** What the read depends on (see `Dependencies.read`): invalidating any of them drops it. */
  dependencies: readonly string[]
  ttl?: number | null | undefined
  tags?: readonly string[] | undefined
  swr?: number | undefined
  /** The caller's per-call `onInfo`, told how the call was served. */
  onInfo?: ((info: CacheCallInfo) => void) | undefined
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
  const load = async () => {
    try {
      const value = transform(await run())
      result = { value }
      return value
    } catch (error) {
      queryFailed = true
      throw error
    }
  }
  const options = {
    ttl: request.ttl,
    models: request.dependencies,
    tags: request.tags,
    swr: request.swr,
  }
  const info = (served: CallResult, reason?: CacheCallInfo['reason']) =>
    reportInfo(request.onInfo, {
      result: served,
      ...(reason ? { reason } : {}),
      key: request.key,
      dependencies: [...request.dependencies], // the caller's own: the adapter's may be shared
      tags: request.tags ?? [],
    })
  try {
    if (!request.onInfo) return await cache.getOrSet(request.key, load, options)
    const answer = await cache.getOrSetInfo(request.key, load, options)
    info(answer.result, answer.result === 'bypass' ? 'store' : undefined)
    return answer.value
  } catch (error) {
    if (queryFailed || error instanceof CacheOptionError) throw error
    // the cache failed: the query's own result if it ran, else the query now
    if (result) {
      info('miss')
      return result.value
    }
    info('bypass', 'store')
    return transform(await run())
  }
}
