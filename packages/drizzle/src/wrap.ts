import {
  CacheOptionError,
  createQueryCache,
  QueryCache,
  QueryCacheError,
  type QueryCacheOptions,
} from '@querycache/core'
import {
  checkCallOptions as checkOptions,
  Dependencies,
  Invalidator,
  isLockingRead,
  type ReferentialAction,
  RelationGraph,
  readThrough,
  ScopedKeys,
  type TransactionWrites,
  type WriteEffect,
} from '@querycache/core/adapter'
import { is, Table } from 'drizzle-orm'
import { ALL, type DialectFamily, readDependencies, TableNames, writeTargets } from './analyze.js'
import { toPlain } from './plain.js'

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

export type CachedDatabase<TDb> = TDb & { $cache: DrizzleQueryCache }

const HOOKED = Symbol('querycache.hooked')
const ENGINE = Symbol('querycache.engine')

/** The writes of the transaction a wrapped db runs in, queued until it ends (core's kit). */
type TxState = TransactionWrites

interface ReadPlan {
  kind: 'read'
  /** What the read depends on: its tables, the tables whose writes change them, `*`. */
  models: string[]
  /** The tables it reads (what `tables` options apply to). */
  tables: string[]
  bypass: boolean
}

interface WritePlan {
  kind: 'write'
  models: Set<string>
  /** May delete rows or change keys (anything but a plain INSERT): foreign-key actions react. */
  deletes: boolean
}

type Plan = ReadPlan | WritePlan

interface ResolvedRead {
  key: string
  ttl: number | null | undefined
  tags: string[]
  swr: number | undefined
  models: string[]
}

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

class Engine {
  readonly cache: QueryCache
  readonly names: TableNames
  readonly family: DialectFamily
  readonly id: string
  readonly facade: DrizzleQueryCache
  private readonly auto: boolean
  private readonly ttl: number | null | undefined
  private readonly keys: ScopedKeys
  private readonly tableOptions = new Map<string, false | { ttl?: number | null | undefined }>()
  /** Foreign keys (with their actions) and declared dependencies between tables. */
  readonly relations = new RelationGraph()
  readonly dependencies = new Dependencies(this.relations)
  private readonly invalidator: Invalidator
  /**
   * True when a transaction runs on the connection the db itself uses (a node-postgres `Client`
   * or a mysql2 `Connection`, not a pool): reads on the db then see its uncommitted rows.
   */
  readonly sharedSession: boolean
  /** Open transactions on a shared session; reads through the db bypass the cache meanwhile. */
  openSharedTransactions = 0
  readonly dialect: { sqlToQuery(sql: unknown): { sql: string; params: unknown[] } }

  constructor(db: object, options: DrizzleCacheOptions) {
    if (options === null || typeof options !== 'object')
      throw new CacheOptionError('withQueryCache(db, options): options must be an object')
    const dbRecord = db as Record<string, any>
    this.dialect = dbRecord.dialect
    if (!this.dialect || typeof this.dialect.sqlToQuery !== 'function')
      throw new CacheOptionError(
        'withQueryCache: expected a Drizzle database (db.dialect is missing)',
      )
    const dialectKind = entityKind(this.dialect) ?? 'unknown'
    this.family = /^Pg/.test(dialectKind)
      ? 'pg'
      : /^SQLite/.test(dialectKind)
        ? 'sqlite'
        : /^(MySql|SingleStore)/.test(dialectKind)
          ? 'mysql'
          : 'other'
    if (dbRecord.resultKind === 'sync' || dialectKind === 'SQLiteSyncDialect') {
      // their queries never pass through an async step the cache could sit in
      throw new QueryCacheError(
        'QC_UNSUPPORTED',
        'withQueryCache: synchronous Drizzle drivers (better-sqlite3, bun:sqlite, …) are not supported; use an async driver such as libsql',
      )
    }
    this.names = new TableNames(this.family)
    this.names.onTable = (table) => this.learnForeignKeys(table)
    this.cache =
      options.cache instanceof QueryCache ? options.cache : createQueryCache(options.cache ?? {})
    this.invalidator = new Invalidator(this.cache, this.dependencies)
    this.auto = options.auto ?? true
    this.ttl = options.ttl
    if (options.scope !== undefined && typeof options.scope !== 'function')
      throw new CacheOptionError(
        'withQueryCache: scope must be a function returning a string or undefined',
      )
    this.keys = new ScopedKeys(options.scope)
    const client = dbRecord.$client ?? dbRecord.session?.client
    this.sharedSession =
      (this.family === 'pg' &&
        typeof client?.query === 'function' &&
        typeof client?.totalCount !== 'number') ||
      (this.family === 'mysql' &&
        typeof client?.query === 'function' &&
        typeof client?.getConnection !== 'function')
    const name = options.name ?? deriveName(dbRecord.session)
    this.id = `${dialectKind}:${name}`
    for (const [table, o] of Object.entries(options.tables ?? {}))
      this.tableOptions.set(this.names.model(...splitModel(table)), o)
    for (const [from, to] of Object.entries(options.dependencies ?? {})) {
      for (const target of to)
        this.relations.addDependency(
          this.names.model(...splitModel(from)),
          this.names.model(...splitModel(target)),
        )
    }
    // tables of the schema given to drizzle(): known by name, and their foreign keys followed
    const schema = dbRecord._?.fullSchema as Record<string, unknown> | undefined
    for (const value of Object.values(schema ?? {}))
      if (value && is(value, Table)) this.learn(value)
    this.facade = makeFacade(this)
  }

  /** Registers a table seen in a query or schema (its cascading foreign keys are followed). */
  learn(table: Table): string {
    return this.names.ofTable(table)
  }

  private learnForeignKeys(table: Table): void {
    const model = this.names.ofTable(table)
    for (const fk of foreignKeysOf(table)) {
      try {
        const ref = fk.reference()
        this.relations.addForeignKey({
          holder: model,
          referenced: this.names.ofTable(ref.foreignTable),
          onDelete: referentialAction(fk.onDelete),
          onUpdate: referentialAction(fk.onUpdate),
        })
      } catch {
        // a reference to a table not defined yet: skip
      }
    }
  }

  /**
   * What a write of `models` changed: every table reached from them when it may delete rows or
   * change keys (DELETE, key UPDATE, upsert, raw SQL), only them for a plain INSERT or UPDATE.
   * `ALL` among them: it cannot be told.
   */
  private effectOf(models: Iterable<string>, deletes: boolean): WriteEffect | undefined {
    const list = [...models]
    if (list.includes(ALL)) return undefined
    return deletes ? { written: list, deleted: list, keyChanged: list } : { written: list }
  }

  /** Invalidates after a write: at once, or when the surrounding transaction ends. */
  async invalidate(
    models: Iterable<string>,
    tx: TxState | undefined,
    deletes = true,
  ): Promise<void> {
    const effect = this.effectOf(models, deletes)
    if (tx) tx.add(effect)
    else await this.invalidator.invalidate(effect)
  }

  /**
   * Runs a write and invalidates what it touched before its promise settles — also when it fails,
   * since a failed write may have committed (core's one failed-write rule).
   */
  write<T>(
    run: () => Promise<T>,
    models: Iterable<string>,
    tx: TxState | undefined,
    deletes = true,
  ): Promise<T> {
    return this.invalidator.write(run, this.effectOf(models, deletes), tx)
  }

  /** Runs a transaction: what it wrote is invalidated after it ends, unless its callback threw. */
  transaction<T>(run: (writes: TransactionWrites) => Promise<T>): Promise<T> {
    return this.invalidator.transaction(run)
  }

  /**
   * Plans by SQL text: equal text names equal tables, so the analysis is done once per statement
   * shape (bounded; the oldest are dropped first).
   */
  private readonly plans = new Map<string, Plan>()

  plan(builder: Record<string, any>, sqlText: string): Plan {
    const known = this.plans.get(sqlText)
    if (known) return known
    const plan = this.analyse(builder, sqlText)
    if (this.plans.size >= 1000) this.plans.delete(this.plans.keys().next().value!)
    this.plans.set(sqlText, plan)
    return plan
  }

  private analyse(builder: Record<string, any>, sqlText: string): Plan {
    const targets = writeTargets(sqlText, this.names)
    if (targets.writes) {
      const models = new Set(targets.models)
      const table = builder.config?.table ?? builder.table
      if (table && is(table, Table)) models.add(this.learn(table))
      if (targets.unknown || models.size === 0) models.add(ALL)
      // an UPDATE that sets no key column cannot fire foreign-key actions
      const deletes =
        mayDelete(sqlText) &&
        !(
          table &&
          is(table, Table) &&
          /^\s*update\b/i.test(sqlText) &&
          !setsKeyColumn(table, builder.config?.set)
        )
      return { kind: 'write', models, deletes }
    }
    const deps = readDependencies(builder, this.names)
    // the table the query is about comes first: stats count the read under it
    const root = builder.config?.table ?? builder.table
    const first = root && is(root, Table) ? this.names.ofTable(root) : undefined
    const models = [...deps.models]
    if (first && deps.models.has(first))
      models.sort((a, b) => Number(b === first) - Number(a === first))
    const tables = models
    const bypass =
      isLockingRead(sqlText) ||
      Boolean(builder.config?.lockingClause) ||
      tables.some((m) => this.tableOptions.get(m) === false)
    // declared dependencies: any write of theirs changes this read; foreign-key actions: only
    // their deletes and key updates do (see core's tableDeletion), also from other processes
    const dependencies = this.dependencies.read(tables, { uncertain: deps.uncertain })
    return { kind: 'read', models: dependencies, tables, bypass }
  }

  /** Whether and how a read is cached, from `$withCache` and the wrapper's options. */
  resolveRead(
    builder: Record<string, any>,
    plan: ReadPlan,
    sqlText: string,
    params: unknown,
    shape: string,
  ): ResolvedRead | undefined {
    if (plan.bypass) return undefined
    const cc = builder.cacheConfig as (QueryCacheCallOptions & { enable?: boolean }) | undefined
    if (cc?.enable === false) return undefined
    if (!this.auto && !cc?.enable) return undefined
    let ttl: number | null | undefined = this.ttl
    for (const m of plan.tables) {
      const o = this.tableOptions.get(m)
      if (o && o.ttl !== undefined) ttl = minTtl(ttl, o.ttl)
    }
    if (cc?.config?.ex !== undefined) ttl = cc.config.ex
    else if (cc?.config?.px !== undefined) ttl = cc.config.px / 1000
    if (cc?.ttl !== undefined) ttl = cc.ttl
    const tags = [...(cc?.tags ?? [])]
    if (cc?.tag !== undefined) tags.push(cc.tag)
    const scope = this.keys.current()
    const custom = cc?.key ?? cc?.tag
    const key =
      custom !== undefined
        ? this.keys.custom(
            custom,
            scope,
            cc?.key !== undefined ? '$withCache key' : '$withCache tag',
          )
        : this.keys.query({ orm: 'drizzle', db: this.id, sql: sqlText, params, shape }, scope)
    const models = cc?.autoInvalidate === false ? [ALL] : plan.models
    return { key, ttl, tags, swr: cc?.swr, models }
  }

  /** Runs a read through the cache; a cache failure falls back to the query itself. */
  cachedRead<T>(r: ResolvedRead, run: () => Promise<T>, transform: (v: T) => T): Promise<T> {
    return readThrough(
      this.cache,
      { key: r.key, dependencies: r.models, ttl: r.ttl, tags: r.tags, swr: r.swr },
      run,
      transform,
    )
  }
}

function referentialAction(action: string | undefined): ReferentialAction {
  const a = (action ?? 'no action').toLowerCase()
  return a === 'cascade' || a === 'set null' || a === 'set default' || a === 'restrict'
    ? a
    : 'no action'
}

function minTtl(a: number | null | undefined, b: number | null | undefined) {
  if (a === undefined) return b
  if (b === undefined) return a
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}

function splitModel(name: string): [string | undefined, string] {
  const at = name.lastIndexOf('.')
  return at === -1 ? [undefined, name] : [name.slice(0, at), name.slice(at + 1)]
}

function entityKind(value: unknown): string | undefined {
  const ctor = (value as { constructor?: Record<symbol, unknown> } | null)?.constructor
  const kind = ctor?.[Symbol.for('drizzle:entityKind')]
  return typeof kind === 'string' ? kind : undefined
}

interface ForeignKeyLike {
  reference(): { foreignTable: Table }
  onDelete?: string | undefined
  onUpdate?: string | undefined
}

/**
 * Whether an update builder's `set` may change a column other rows can reference: a primary or
 * unique column, or any column named in the table's extra config (composite keys, unique
 * constraints and indexes — over-approximated), or one with `$onUpdate`. Unknown: true.
 */
function setsKeyColumn(table: Table, set: unknown): boolean {
  if (!set || typeof set !== 'object') return true
  try {
    const t = table as unknown as Record<symbol, unknown>
    const columns = t[Symbol.for('drizzle:Columns')] as
      | Record<string, Record<string, any>>
      | undefined
    if (!columns) return true
    const keys = new Set<string>()
    for (const [key, column] of Object.entries(columns)) {
      if (column.primary || column.isUnique || column.onUpdateFn) keys.add(key)
    }
    const extra = t[Symbol.for('drizzle:ExtraConfigBuilder')]
    const extraColumns = t[Symbol.for('drizzle:ExtraConfigColumns')]
    if (typeof extra === 'function') {
      const built = extra(extraColumns ?? columns)
      const list = Array.isArray(built) ? built : Object.values(built ?? {})
      const byColumn = new Map(Object.entries(columns).map(([key, column]) => [column, key]))
      for (const item of list as Record<string, any>[]) {
        for (const c of [...(item?.columns ?? []), ...(item?.config?.columns ?? [])]) {
          const key =
            byColumn.get(c) ?? Object.keys(columns).find((k) => columns[k]?.name === c?.name)
          if (key) keys.add(key)
        }
      }
    }
    return Object.keys(set).some((key) => keys.has(key))
  } catch {
    return true
  }
}

function foreignKeysOf(table: Table): ForeignKeyLike[] {
  const t = table as unknown as Record<symbol, unknown>
  const out: ForeignKeyLike[] = []
  for (const sym of Object.getOwnPropertySymbols(t)) {
    const desc = sym.description ?? ''
    if (/InlineForeignKeys$/.test(desc) && Array.isArray(t[sym]))
      out.push(...(t[sym] as ForeignKeyLike[]))
  }
  // foreign keys declared in the table's extra config: (t) => [foreignKey({...})]
  const extra = t[Symbol.for('drizzle:ExtraConfigBuilder')]
  const columns = t[Symbol.for('drizzle:ExtraConfigColumns')]
  if (typeof extra === 'function' && columns) {
    try {
      const built = extra(columns)
      const list = Array.isArray(built) ? built : Object.values(built ?? {})
      for (const b of list) {
        if (b && typeof b === 'object' && typeof (b as any).reference === 'function') {
          const r = (b as any).reference()
          out.push({
            reference: () => ({ foreignTable: r.foreignTable }),
            onDelete: (b as any)._onDelete,
            onUpdate: (b as any)._onUpdate,
          })
        }
      }
    } catch {
      // not ours to fail on
    }
  }
  return out
}

function deriveName(session: Record<string, any> | undefined): string {
  const client = session?.client
  if (!client || typeof client !== 'object') return 'default'
  try {
    // node-postgres Pool / Client
    const o = client.options ?? client.connectionParameters
    if (o && typeof o === 'object') {
      if (typeof o.connectionString === 'string') {
        const u = new URL(o.connectionString)
        return `${u.hostname}:${u.port || '5432'}/${u.pathname.replace(/^\//, '')}`
      }
      if (o.database || o.host)
        return `${o.host ?? 'localhost'}:${o.port ?? ''}/${o.database ?? o.user ?? ''}`
    }
    // mysql2
    const c =
      client.config?.connectionConfig ?? client.pool?.config?.connectionConfig ?? client.config
    if (c && typeof c === 'object' && (c.database || c.host))
      return `${c.host ?? 'localhost'}:${c.port ?? ''}/${c.database ?? ''}`
  } catch {
    // fall through
  }
  return 'default'
}

// ── proxies ────────────────────────────────────────────────────────────────

function wrapDatabase(db: object, engine: Engine, tx: TxState | undefined): object {
  const target = db as Record<string | symbol, any>
  const proxies = new Map<string | symbol, unknown>()
  return new Proxy(db, {
    get(_t, prop) {
      if (prop === ENGINE) return engine
      if (prop === '$cache') return engine.facade
      const value = target[prop]
      if (typeof prop !== 'string') return value
      if (proxies.has(prop) && value !== undefined) return proxies.get(prop)
      let out: unknown = value
      switch (prop) {
        case 'select':
        case 'selectDistinct':
        case 'selectDistinctOn':
        case 'insert':
        case 'update':
        case 'delete':
        case 'refreshMaterializedView':
          if (typeof value === 'function')
            out = (...args: unknown[]) => hookFresh(value.apply(target, args), engine, tx)
          break
        case 'with':
          if (typeof value === 'function')
            out = (...args: unknown[]) => {
              const o = value.apply(target, args) as Record<string, unknown>
              const wrapped: Record<string, unknown> = {}
              for (const [k, fn] of Object.entries(o))
                wrapped[k] =
                  typeof fn === 'function'
                    ? (...a: unknown[]) => hookFresh(fn.apply(o, a), engine, tx)
                    : fn
              return wrapped
            }
          break
        case '$count':
          if (typeof value === 'function')
            out = (...args: unknown[]) => hookCount(value.apply(target, args), engine, tx)
          break
        case 'query':
          if (value && typeof value === 'object') out = wrapRelationalNamespace(value, engine, tx)
          break
        case 'execute':
        case 'run':
        case 'all':
        case 'get':
        case 'values':
          if (typeof value === 'function')
            out = (...args: unknown[]) => hookRaw(value.apply(target, args), args[0], engine, tx)
          break
        case 'batch':
          if (typeof value === 'function')
            out = (queries: unknown[]) => batch(value, target, queries, engine, tx)
          break
        case 'transaction':
          if (typeof value === 'function')
            out = (fn: (tx: unknown) => unknown, config?: unknown) =>
              transaction(value, target, fn, config, engine, tx)
          break
        default:
          return value
      }
      proxies.set(prop, out)
      return out
    },
  })
}

function wrapRelationalNamespace(query: object, engine: Engine, tx: TxState | undefined): object {
  const cache = new Map<string | symbol, unknown>()
  return new Proxy(query, {
    get(target, prop) {
      const builder = Reflect.get(target, prop)
      if (!builder || typeof builder !== 'object') return builder
      if (cache.has(prop)) return cache.get(prop)
      const wrapped = new Proxy(builder, {
        get(b, method) {
          const fn = Reflect.get(b, method)
          if (typeof fn !== 'function' || (method !== 'findMany' && method !== 'findFirst'))
            return fn
          return (...args: unknown[]) => hookFresh(fn.apply(b, args), engine, tx)
        },
      })
      cache.set(prop, wrapped)
      return wrapped
    },
  })
}

function define(obj: object, key: string | symbol, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false })
}

/**
 * `$withCache(options | false)` on every cached read: Drizzle's own on select builders (wrapped to
 * check the options where they are written), ours on relational queries and `$count`.
 */
function addWithCache(obj: Record<string, any>): void {
  const drizzles = typeof obj.$withCache === 'function' ? obj.$withCache : undefined
  define(obj, '$withCache', function (this: Record<string, any>, config?: unknown) {
    checkCallOptions(config)
    if (drizzles) return drizzles.call(this, config)
    this.cacheConfig =
      config === undefined
        ? { config: {}, enable: true, autoInvalidate: true }
        : config === false
          ? { enable: false }
          : { enable: true, autoInvalidate: true, ...(config as object) }
    return this
  })
}

/** querycache's options through core's one check; Drizzle's own (`tag`, `config`) checked here. */
function checkCallOptions(config: unknown): void {
  const o = checkOptions(
    config,
    '$withCache',
    "{ ttl?, tags?, key?, swr? } (or Drizzle's { tag?, config?, autoInvalidate? })",
  ) as QueryCacheCallOptions | false | undefined
  if (o && o.tag !== undefined && (typeof o.tag !== 'string' || o.tag.length === 0))
    throw new CacheOptionError('$withCache: tag must be a non-empty string')
}

/** Hooks a builder created through the wrapped db (a fresh object, so it can be patched). */
function hookFresh<T>(obj: T, engine: Engine, tx: TxState | undefined): T {
  if (!obj || typeof obj !== 'object') return obj
  const record = obj as Record<string | symbol, any>
  if (record[HOOKED]) return obj
  define(record, HOOKED, true)
  // PG and SQLite builders prepare through `_prepare`, MySQL ones through `prepare`
  const prepareKey =
    typeof record._prepare === 'function'
      ? '_prepare'
      : typeof record.prepare === 'function' && typeof record.execute === 'function'
        ? 'prepare'
        : undefined
  if (prepareKey) {
    const prepare = record[prepareKey] as (...args: unknown[]) => unknown
    define(record, prepareKey, function (this: Record<string, any>, ...args: unknown[]) {
      return hookPrepared(prepare.apply(this, args), this, engine, tx)
    })
    addWithCache(record)
    return obj
  }
  // intermediate builders: db.select().from(), db.insert(t).values()/.select(), db.update(t).set()
  for (const method of ['from', 'values', 'select', 'set']) {
    const fn = record[method]
    if (typeof fn !== 'function') continue
    define(record, method, function (this: unknown, ...args: unknown[]) {
      return hookFresh(fn.apply(this, args), engine, tx)
    })
  }
  return obj
}

const PREPARED_METHODS = ['run', 'all', 'get', 'values', 'execute'] as const
/** The prepared-query methods running right now, innermost last (see hookPrepared). */
const runningMethods: string[] = []

/**
 * Whether the running method returns the driver's rows in the shape Drizzle maps on every call:
 * node-postgres/mysql2 `execute`, or SQLite `values` called by `all`/`get`. A `values()`, `run()`
 * or node-postgres `all()` of your own returns the driver's objects, which are never cached.
 */
function mappedShape(): boolean {
  const [outer, inner] = runningMethods.slice(-2)
  return runningMethods.length === 1
    ? outer === 'execute'
    : inner === 'execute' || (inner === 'values' && (outer === 'all' || outer === 'get'))
}

function hookPrepared(
  prepared: unknown,
  builder: Record<string, any>,
  engine: Engine,
  tx: TxState | undefined,
): unknown {
  const p = prepared as Record<string | symbol, any> | null
  if (!p || typeof p.queryWithCache !== 'function' || p[HOOKED]) return prepared
  define(p, HOOKED, true)
  // Which method of the prepared query is running: they call queryWithCache synchronously, and
  // each returns the driver's result in its own shape (SQLite `run` a ResultSet, `values` row
  // arrays; node-postgres `execute` array-mode rows, `all` objects); see mappedShape.
  for (const method of PREPARED_METHODS) {
    const fn = p[method]
    if (typeof fn !== 'function') continue
    define(p, method, function (this: unknown, ...args: unknown[]) {
      runningMethods.push(method)
      try {
        return fn.apply(this, args)
      } finally {
        runningMethods.pop()
      }
    })
  }
  // analysed once, from the SQL the driver is about to run (prepared statements run it many times)
  let analysed: { sql: string; plan: Plan } | undefined
  const planFor = (sqlText: string): Plan => {
    if (analysed?.sql === sqlText) return analysed.plan
    let plan: Plan
    try {
      plan = engine.plan(builder, sqlText)
    } catch {
      // cannot analyse: don't cache, and treat a write as touching everything
      plan = /^\s*(?:select|with)\b/i.test(sqlText)
        ? { kind: 'read', models: [], tables: [], bypass: true }
        : { kind: 'write', models: new Set([ALL]), deletes: true }
    }
    analysed = { sql: sqlText, plan }
    return plan
  }
  const original = p.queryWithCache as (
    sql: string,
    params: unknown[],
    query: () => Promise<unknown>,
  ) => Promise<unknown>
  define(
    p,
    'queryWithCache',
    function (
      this: Record<string, any>,
      sql: string,
      params: unknown[],
      query: () => Promise<unknown>,
    ) {
      const plan = planFor(sql)
      if (plan.kind === 'write') {
        return original.call(this, sql, params, () =>
          engine.write(query, plan.models, tx, plan.deletes),
        )
      }
      // only results Drizzle maps afterwards are cached (raw driver rows, mapped on every hit)
      const mapped = Boolean(this.fields || this.customResultMapper)
      const resolved =
        tx || !mapped || !mappedShape() || engine.openSharedTransactions > 0
          ? undefined
          : safe(() => engine.resolveRead(builder, plan, sql, params, 'rows'))
      if (!resolved) {
        if (mapped) engine.cache.recordBypass()
        return original.call(this, sql, params, query)
      }
      return original.call(this, sql, params, () =>
        engine.cachedRead(resolved, query, (v) => toPlain(v) as never),
      )
    },
  )
  return prepared
}

/** Anything but a plain INSERT may delete rows or change keys (an upsert may update them). */
function mayDelete(sqlText: string): boolean {
  return !/^\s*insert\b/i.test(sqlText) || /\bon\s+(?:conflict|duplicate\s+key)\b/i.test(sqlText)
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}

/** `db.$count(table, where)`: a thenable SQL; its result (a number) is cached. */
function hookCount<T>(builder: T, engine: Engine, tx: TxState | undefined): T {
  const b = builder as Record<string, any>
  if (!b || typeof b.then !== 'function') return builder
  const then = b.then as (f?: unknown, r?: unknown) => Promise<unknown>
  addWithCache(b)
  define(b, 'then', function (this: Record<string, any>, onFulfilled?: any, onRejected?: any) {
    const run = () => then.call(this) as Promise<unknown>
    let promise: Promise<unknown>
    // in a transaction, or while one is open on the connection the db itself uses, a count may
    // include uncommitted rows: never cached
    if (tx || engine.openSharedTransactions > 0) {
      engine.cache.recordBypass()
      promise = run()
    } else {
      let resolved: ResolvedRead | undefined
      try {
        const query = engine.dialect.sqlToQuery(this.sql)
        const plan = engine.plan({ getSQL: () => this.sql }, query.sql)
        if (plan.kind === 'read')
          resolved = engine.resolveRead(this, plan, query.sql, query.params, 'count')
      } catch {
        resolved = undefined
      }
      promise = resolved ? engine.cachedRead(resolved, run, (v) => v) : run()
    }
    return promise.then(onFulfilled, onRejected)
  })
  return builder
}

/** Raw SQL (`db.execute`, SQLite's `db.run/all/get/values`): not cached; writes invalidate what they name. */
function hookRaw<T>(raw: T, query: unknown, engine: Engine, tx: TxState | undefined): T {
  const r = raw as Record<string | symbol, any>
  if (!r || (typeof r !== 'object' && typeof r !== 'function')) return raw // a synchronous driver already ran it
  let models: Set<string>
  try {
    const text: string =
      typeof query === 'string'
        ? query
        : (r.getQuery?.().sql ??
          engine.dialect.sqlToQuery((query as { getSQL(): unknown }).getSQL()).sql)
    const targets = writeTargets(text, engine.names)
    models = new Set(targets.models)
    if (targets.unknown || (targets.writes && models.size === 0)) models.add(ALL)
  } catch {
    models = new Set([ALL])
  }
  if (models.size === 0) return raw
  if (typeof r.execute === 'function') {
    // a lazy QueryPromise (PgRaw, SQLiteRaw): runs when awaited or batched
    const execute = r.execute as (...args: unknown[]) => Promise<unknown>
    define(r, 'execute', function (this: unknown, ...args: unknown[]) {
      return engine.write(() => execute.apply(this, args), models, tx)
    })
    define(r, HOOKED, models)
    return raw
  }
  if (typeof r.then === 'function') {
    // an already-running promise (MySQL's db.execute)
    return engine.write(() => r as Promise<unknown>, models, tx) as T
  }
  return raw
}

function writesOf(query: unknown, engine: Engine): Set<string> {
  const q = query as Record<string | symbol, any>
  if (q?.[HOOKED] instanceof Set) return q[HOOKED] as Set<string>
  try {
    const text: string = q.toSQL?.().sql ?? q.getQuery?.().sql
    const plan = engine.plan(q, text)
    return plan.kind === 'write' ? plan.models : new Set()
  } catch {
    return new Set([ALL])
  }
}

async function batch(
  original: (queries: unknown[]) => Promise<unknown>,
  target: object,
  queries: unknown[],
  engine: Engine,
  tx: TxState | undefined,
): Promise<unknown> {
  const models = new Set<string>()
  for (const q of queries) for (const m of writesOf(q, engine)) models.add(m)
  return engine.write(() => original.call(target, queries), models, tx)
}

async function transaction(
  original: (fn: (tx: unknown) => unknown, config?: unknown) => Promise<unknown>,
  target: object,
  fn: (tx: unknown) => unknown,
  config: unknown,
  engine: Engine,
  outer: TxState | undefined,
): Promise<unknown> {
  const begin = (callback: (inner: object) => Promise<unknown>) => {
    const args: unknown[] = [callback]
    if (config !== undefined) args.push(config)
    return (original as (...a: unknown[]) => Promise<unknown>).apply(target, args)
  }
  const body = (writes: TransactionWrites) => (inner: object) =>
    Promise.resolve(fn(wrapDatabase(inner, engine, writes)))
  // nested transactions (savepoints) queue into the outermost one, which alone decides: a
  // savepoint rolled back inside a committed transaction only over-invalidates
  if (outer) return begin(body(outer))
  if (engine.sharedSession) engine.openSharedTransactions++
  try {
    // after COMMIT; on rollback (the callback threw, or tx.rollback()) nothing is applied, but a
    // failure after the callback returned is a failed COMMIT, which may have applied
    return await engine.transaction((writes) => begin(writes.callback(body(writes))))
  } finally {
    if (engine.sharedSession) engine.openSharedTransactions--
  }
}

function makeFacade(engine: Engine): DrizzleQueryCache {
  const invalidate = async (params: {
    tables?: Table | string | readonly (Table | string)[] | undefined
    tags?: string | readonly string[] | undefined
  }) => {
    const tables = params?.tables === undefined ? [] : toArray(params.tables)
    const models: string[] = []
    for (const t of tables) {
      if (typeof t === 'string') models.push(...engine.names.resolve(t).models)
      else if (is(t, Table)) models.push(engine.learn(t))
    }
    const tags = params?.tags === undefined ? [] : toArray(params.tags)
    await Promise.all([
      models.length > 0 ? engine.invalidate(models, undefined) : undefined,
      tags.length > 0 ? engine.cache.invalidateTags(tags as string[]) : undefined,
    ])
  }
  const cache = engine.cache
  return new Proxy(cache, {
    get(target, prop) {
      if (prop === 'invalidate') return invalidate
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as DrizzleQueryCache
}

function toArray<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...value] : [value as T]
}
