import type { CallResult } from '../cache.js'
import { CacheOptionError } from '../errors.js'
import { checkNames, checkNonNegative, checkTtl } from '../options.js'

/** How one adapter read was served, for the per-call `onInfo` option. */
export interface CacheCallInfo {
  /** `hit`, `stale` (served, refreshing), `miss` (the query ran) or `bypass` (not cached). */
  result: CallResult
  /** Why a bypass went to the database: `transaction`, `opted-out`, `no-scope`, `unreadable`, `store`. */
  reason?: 'transaction' | 'opted-out' | 'no-scope' | 'unreadable' | 'store'
  /** The cache key (undefined for a bypass decided before a key was made). */
  key: string | undefined
  /** What the result depends on: the dependency names its models/tables map to (`Post`, `posts`, …). */
  dependencies: readonly string[]
  /** Tags of this call. */
  tags: readonly string[]
}

/** What every adapter's per-call cache option carries. */
export interface CallOptions {
  /** Seconds; `null` = until invalidated. */
  ttl?: number | null | undefined
  /** A key of the caller's own instead of the query's hash (scoped when a scope is set). */
  key?: string | undefined
  /** Tags the result depends on. */
  tags?: readonly string[] | undefined
  /** Seconds past the TTL during which the old result is served while one refresh runs. */
  swr?: number | undefined
  /** Called once the call is served: hit, stale, miss or bypass, its key and dependencies. */
  onInfo?: ((info: CacheCallInfo) => void) | undefined
}

/** Tells a caller's `onInfo` that its read went to the database uncached, and why. */
export function reportBypass(
  onInfo: ((info: CacheCallInfo) => void) | undefined,
  reason: NonNullable<CacheCallInfo['reason']>,
): void {
  reportInfo(onInfo, { result: 'bypass', reason, key: undefined, dependencies: [], tags: [] })
}

/** Calls a caller's `onInfo`; its failure is not the query's. */
export function reportInfo(
  onInfo: ((info: CacheCallInfo) => void) | undefined,
  info: CacheCallInfo,
): void {
  if (!onInfo) return
  try {
    onInfo(info)
  } catch {
    // a throwing listener must not fail the query
  }
}

/**
 * The one check of a per-call cache option: `undefined` (none), `false` (bypass) or an object of
 * CallOptions, checked field by field where it was written so a mistake names the option. `where`
 * names the option in messages (`cache` → "cache option: …", "cache.ttl …"); `shape` is what it
 * accepts.
 */
export function checkCallOptions(
  value: unknown,
  where: string,
  shape = '{ ttl?, key?, tags?, swr? }',
): CallOptions | false | undefined {
  if (value === undefined || value === false) return value
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CacheOptionError(`${where} option: expected ${shape} or false`)
  const o = value as CallOptions
  if (o.ttl !== undefined) checkTtl(o.ttl, `${where}.ttl`)
  if (o.swr !== undefined) checkNonNegative(o.swr, `${where}.swr`)
  if (o.tags !== undefined) checkNames(o.tags, `${where}.tags`)
  if (o.key !== undefined && (typeof o.key !== 'string' || o.key.length === 0))
    throw new CacheOptionError(`${where}.key must be a non-empty string`)
  if (o.onInfo !== undefined && typeof o.onInfo !== 'function')
    throw new CacheOptionError(`${where}.onInfo must be a function (info) => void`)
  return o
}
