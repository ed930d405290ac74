import type { EntryOptions, QueryCacheOptions } from './cache.js'
import type { CodecType } from './codec.js'
import { CacheOptionError } from './errors.js'
import { Signer } from './integrity.js'
import type { KeyLayout } from './keys.js'
import type { NearCacheOptions } from './near.js'
import {
  checkFunction,
  checkNames,
  checkNonNegative,
  checkPositive,
  checkTtl,
  sameItems,
} from './options.js'
import { isKeyvLike, keyvStore } from './stores/keyv.js'
import { memoryStore } from './stores/memory.js'
import type { StoreDriver } from './stores/types.js'

/** QueryCacheOptions checked and defaulted once, so nothing downstream re-checks or re-defaults. */
export interface ResolvedCacheOptions {
  store: StoreDriver
  namespace: string
  version: number
  ttl: number | null
  maxEntryBytes: number
  timeoutMs: number
  retryAfterMs: number
  types: readonly CodecType<any, any>[]
  onError: QueryCacheOptions['onError']
  onInvalidate: QueryCacheOptions['onInvalidate']
  nearCache: NearCacheOptions | undefined
  signer: Signer | undefined
  telemetryKeys: boolean
  /** Bounds of the entries kept decoded; undefined: none are. */
  keepDecoded: { entries: number; bytes: number } | undefined
}

/** One call's EntryOptions merged with the cache's defaults, plus the token keys they imply. */
export interface ResolvedEntryOptions {
  ttl: number | null
  swr: number
  models: readonly string[]
  tags: readonly string[]
  /** The namespace token first, then each model's and tag's, without duplicates. */
  dependencies: string[]
}

const NAMESPACE_RE = /^[A-Za-z0-9_.-]{1,64}$/

export function resolveCacheOptions(options: QueryCacheOptions): ResolvedCacheOptions {
  const namespace = options.namespace ?? 'qc'
  if (!NAMESPACE_RE.test(namespace)) {
    throw new CacheOptionError(
      `namespace must be 1–64 letters, digits, "_", "-" or "."; got ${JSON.stringify(namespace)}`,
    )
  }
  const version = options.version ?? 1
  if (!Number.isInteger(version) || version < 1)
    throw new CacheOptionError(`version must be a positive integer; got ${version}`)
  const ttl = checkTtl(options.ttl === undefined ? 60 : options.ttl, 'ttl')
  const maxEntryBytes = checkPositive(options.maxEntryBytes ?? 1024 * 1024, 'maxEntryBytes')
  const timeoutMs = checkPositive(options.timeoutMs ?? 200, 'timeoutMs')
  const retryAfterMs = checkPositive(options.retryAfterMs ?? 1000, 'retryAfterMs')
  if (options.closeStore !== undefined && typeof options.closeStore !== 'boolean')
    throw new CacheOptionError(
      `closeStore must be true or false; got ${String(options.closeStore)}`,
    )
  checkFunction(options.onError, 'onError', '(error, context) => void')
  checkFunction(options.onInvalidate, 'onInvalidate', '({ models, tags }) => void')
  const telemetry = options.telemetry ?? {}
  if (typeof telemetry !== 'object' || telemetry === null)
    throw new CacheOptionError('telemetry must be { keys?: boolean }')
  if (telemetry.keys !== undefined && typeof telemetry.keys !== 'boolean')
    throw new CacheOptionError(
      `telemetry.keys must be true or false; got ${String(telemetry.keys)}`,
    )
  const signer =
    options.integrity === undefined ? undefined : new Signer(options.integrity, namespace, version)
  return {
    store: resolveStore(options.store, options.closeStore ?? true),
    namespace,
    version,
    ttl,
    maxEntryBytes,
    timeoutMs,
    retryAfterMs,
    types: options.types ?? [],
    onError: options.onError,
    onInvalidate: options.onInvalidate,
    nearCache: resolveNear(options.nearCache),
    signer,
    telemetryKeys: telemetry.keys ?? false,
    keepDecoded: resolveKeepDecoded(options.keepDecoded),
  }
}

function resolveKeepDecoded(
  keep: QueryCacheOptions['keepDecoded'],
): ResolvedCacheOptions['keepDecoded'] {
  if (keep === false) return undefined
  if (keep === undefined || keep === true) return { entries: 500, bytes: 4 * 1024 * 1024 }
  if (typeof keep !== 'object' || keep === null)
    throw new CacheOptionError(
      `keepDecoded must be true, false or { entries, bytes }; got ${String(keep)}`,
    )
  return {
    entries: checkPositive(keep.entries ?? 500, 'keepDecoded.entries'),
    bytes: checkPositive(keep.bytes ?? 4 * 1024 * 1024, 'keepDecoded.bytes'),
  }
}

/** Runs on every read, hit or not: keep it to the checks and one small array. */
export function resolveEntryOptions(
  options: EntryOptions,
  defaultTtl: number | null,
  layout: KeyLayout,
  group: number,
): ResolvedEntryOptions {
  if (typeof options !== 'object' || options === null)
    throw new CacheOptionError('cache options must be an object like { ttl, models, tags, swr }')
  const ttl = options.ttl === undefined ? defaultTtl : checkTtl(options.ttl, 'ttl')
  const swr = options.swr === undefined ? 0 : checkNonNegative(options.swr, 'swr')
  const given = options.models
  if (Array.isArray(given) && (options.tags === undefined || isEmptyArray(options.tags))) {
    const made = lastMade.get(given)
    if (made?.layout === layout && made.group === group && sameItems(made.names, given))
      return { ttl, swr, models: given, tags: [], dependencies: made.dependencies }
  }
  const models = options.models === undefined ? [] : checkNames(options.models, 'models')
  const tags = options.tags === undefined ? [] : checkNames(options.tags, 'tags')
  const keys = [layout.allToken(group)]
  for (const m of models) keys.push(layout.model(m, group))
  for (const t of tags) keys.push(layout.tag(t, group))
  // two keys cannot collide (one is the namespace token), so skip the Set in the common case
  const dependencies = keys.length > 2 ? [...new Set(keys)] : keys
  if (tags.length === 0 && given !== undefined)
    lastMade.set(given, { names: [...models], layout, group, dependencies })
  return { ttl, swr, models, tags, dependencies }
}

/**
 * The dependency keys last made from a models array (with no tags), by that array: an adapter
 * passes a query's own array on each of its reads. Its names are compared on every use, so an
 * array changed since is checked and made again. Nothing changes a `dependencies` array.
 */
const lastMade = new WeakMap<
  readonly string[],
  { names: string[]; layout: KeyLayout; group: number; dependencies: string[] }
>()

function isEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0
}

function resolveNear(near: QueryCacheOptions['nearCache']): NearCacheOptions | undefined {
  if (near === undefined || near === false) return undefined
  if (near === true) return {}
  if (typeof near !== 'object' || near === null)
    throw new CacheOptionError(
      `nearCache must be true, false or { maxEntries, maxBytes, maxAge, heartbeatMs }; got ${String(near)}`,
    )
  return near
}

function resolveStore(store: QueryCacheOptions['store'], closeStore: boolean): StoreDriver {
  if (store === undefined) return memoryStore()
  if (isStoreDriver(store)) return store
  if (isKeyvLike(store)) return keyvStore(store, { closeStore })
  throw new CacheOptionError(
    'store must be a querycache store (memoryStore(), defineStore(...)), a Keyv instance, or a Keyv store adapter such as new KeyvRedis(url)',
  )
}

function isStoreDriver(value: unknown): value is StoreDriver {
  const v = value as Partial<StoreDriver> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    typeof v.getMany === 'function' &&
    typeof v.set === 'function' &&
    typeof v.deleteMany === 'function'
  )
}
