// The public types of @querycache/drizzle, and the plans the engine makes of queries.
import type { QueryCache, QueryCacheOptions } from '@querycache/core'
import type { CacheCallInfo, CacheExplanation, TransactionWrites } from '@querycache/core/adapter'
import type { Table } from 'drizzle-orm'

/** Per-query cache options, given to `$withCache(...)`. */
export interface QueryCacheCallOptions {
  /** Seconds; `null` = until invalidated. Default: the wrapper's `ttl`, then the cache's. */
  ttl?: number | null | undefined
  /** Extra dependencies: `db.$cache.invalidateTags([...])` (or `invalidate({ tags })`) drops this result. */
  tags?: readonly string[] | undefined
  /** Your own key for this result instead of the hash of its SQL (scoped when `scope` is set). */
  key?: string | undefined
  /** Seconds past the TTL during which the old result is served while one refresh runs. */
  swr?: number | undefined
  /**
   * Told how this query was served — `hit`, `stale`, `miss` or `bypass` (with the reason) — with
   * its key and dependencies. The query's result is unchanged.
   */
  onInfo?: ((info: CacheCallInfo) => void) | undefined
  // ── Drizzle's own `$withCache` options, honoured with their Drizzle meaning ──
  /** Drizzle: a custom key for this query; also usable in `$cache.invalidate({ tags })`. */
  tag?: string | undefined
  /** Drizzle: `{ ex }` (seconds) or `{ px }` (milliseconds) set the TTL. */
  config?: { ex?: number; px?: number; [key: string]: unknown } | undefined
  /** Drizzle: `false` keeps the result until its TTL even when its tables change. */
  autoInvalidate?: boolean | undefined
}

export interface DrizzleCacheOptions {
  /** A QueryCache, or options for `createQueryCache`. Default: an in-memory cache. */
  cache?: QueryCache | QueryCacheOptions | undefined
  /** `true` (default): every read is cached. `false`: only reads that call `$withCache(...)`. */
  auto?: boolean | undefined
  /** Default TTL in seconds for this db's reads (`null` = until invalidated). Default: the cache's. */
  ttl?: number | null | undefined
  /**
   * Identifies the database in every key (with the dialect), so two databases sharing one store
   * never share entries. Default: derived from the client's connection settings when it can be,
   * otherwise `"default"` — set it when several databases share a store.
   */
  name?: string | undefined
  /** Part of every key (tenant, role…): reads that may return different rows must differ here. */
  scope?: (() => string | undefined) | undefined
  /**
   * When `scope` returns undefined (or throws): `'bypass'` (default) runs the read uncached,
   * counted as a bypass — a lost AsyncLocalStorage context must not share one entry among
   * tenants; `'shared'` caches it under one unscoped key on purpose.
   */
  unscoped?: 'bypass' | 'shared' | undefined
  /** Per-table overrides: `{ audit_log: false }` never caches reads of it, `{ posts: { ttl: 600 } }`. */
  tables?: Record<string, false | { ttl?: number | null | undefined }> | undefined
  /**
   * Extra invalidations: `{ posts: ['comments'] }` — a write to posts also invalidates comments
   * (triggers, cascades Drizzle doesn't know about). Foreign keys with ON DELETE/UPDATE actions
   * declared in the Drizzle schema are followed automatically.
   */
  dependencies?: Record<string, readonly string[]> | undefined
}

/** The QueryCache behind a wrapped db, plus Drizzle's `invalidate({ tables, tags })`. */
export type DrizzleQueryCache = QueryCache & {
  /** Drizzle's API: invalidate every cached read of these tables, and/or these tags. */
  invalidate(params: {
    tables?: Table | string | readonly (Table | string)[] | undefined
    tags?: string | readonly string[] | undefined
  }): Promise<void>
}

export type CachedDatabase<TDb> = TDb & {
  $cache: DrizzleQueryCache
  /**
   * What a query would do, without running it: whether a select, relational query or `$count`
   * is cached, its key and the tables it depends on, or why it bypasses; for an insert, update,
   * delete or `sql\`…\`` write, what it invalidates.
   */
  $explain(query: object): CacheExplanation
}

export const HOOKED = Symbol('querycache.hooked')
export const ENGINE = Symbol('querycache.engine')

/** The writes of the transaction a wrapped db runs in, queued until it ends (core's kit). */
export type TxState = TransactionWrites

export interface ReadPlan {
  kind: 'read'
  /** What the read depends on: its tables, the tables whose writes change them, `*`. */
  models: string[]
  /** The tables it reads (what `tables` options apply to). */
  tables: string[]
  bypass: boolean
  /**
   * Its keys by result shape, each written with this plan's SQL once (plans are by SQL text, and
   * a prepared statement runs one text many times).
   */
  keys?: Map<string, { sql: string; key: (params: unknown, scope: string | undefined) => string }>
}

export interface WritePlan {
  kind: 'write'
  models: Set<string>
  /** May delete rows or change keys (anything but a plain INSERT): foreign-key actions react. */
  deletes: boolean
}

export type Plan = ReadPlan | WritePlan

export interface ResolvedRead {
  key: string
  ttl: number | null | undefined
  tags: string[]
  swr: number | undefined
  models: string[]
  onInfo: ((info: CacheCallInfo) => void) | undefined
}

/** A hidden, writable property: how hooks are attached to Drizzle's own objects. */
export function define(obj: object, key: string | symbol, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false })
}
