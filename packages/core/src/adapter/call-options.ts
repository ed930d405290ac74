import { CacheOptionError } from '../errors.js'
import { checkNames, checkNonNegative, checkTtl } from '../options.js'

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
  return o
}
