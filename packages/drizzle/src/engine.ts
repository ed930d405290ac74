// The engine behind one wrapped db: Drizzle's tables and foreign keys, plans of queries, and
// the kit's dependencies, invalidation and cached reads.
import { CacheOptionError, createQueryCache, QueryCache, QueryCacheError } from '@querycache/core'
import {
  type BypassReason,
  type CacheCallInfo,
  type CacheExplanation,
  Dependencies,
  explainRead,
  explainWrite,
  Invalidator,
  isLockingRead,
  PASSTHROUGH,
  type ReferentialAction,
  RelationGraph,
  rawWriteEffect,
  readThrough,
  reportBypass,
  ScopedKeys,
  type TransactionWrites,
  type WriteEffect,
} from '@querycache/core/adapter'
import { is, SQL, Table } from 'drizzle-orm'
import { ALL, type DialectFamily, readDependencies, TableNames, writeTargets } from './analyze.js'
import { countSqlOf } from './builders.js'
import { makeFacade } from './facade.js'
import {
  currentDatabase,
  deriveName,
  entityKind,
  foreignKeysOf,
  mayDelete,
  setsKeyColumn,
} from './introspect.js'
import type {
  DrizzleCacheOptions,
  DrizzleQueryCache,
  Plan,
  QueryCacheCallOptions,
  ReadPlan,
  ResolvedRead,
  TxState,
} from './types.js'

export class Engine {
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
    if (this.family === 'mysql') this.names.currentSchema = currentDatabase(dbRecord.session)
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
    this.keys = new ScopedKeys(options.scope, options.unscoped)
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
    // (0.45: `db._.fullSchema`; 1.0: the tables of `drizzle({ relations })`)
    const schema = dbRecord._?.fullSchema as Record<string, unknown> | undefined
    const relations = dbRecord._?.relations as Record<string, { table?: unknown }> | undefined
    for (const value of [
      ...Object.values(schema ?? {}),
      ...Object.values(relations ?? {}).map((r) => r?.table),
    ])
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
      isLockingRead(sqlText, this.names.dialect) ||
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
    const decision = this.decideRead(builder, plan, sqlText, params, shape)
    if (typeof decision === 'string') return bypassed(builder.cacheConfig, decision)
    return decision
  }

  /** How a read will be served: what to cache it as, or why it goes uncached. */
  decideRead(
    builder: Record<string, any>,
    plan: ReadPlan,
    sqlText: string,
    params: unknown,
    shape: string,
  ): ResolvedRead | BypassReason {
    const cc = builder.cacheConfig as
      | (QueryCacheCallOptions & { enable?: boolean; enabled?: boolean })
      | undefined
    if (plan.bypass) return 'opted-out' // a locking read, or a table never cached
    // `$withCache` sets `enable` on Drizzle 0.45, `enabled` on 1.0
    const enabled = cc?.enable ?? cc?.enabled
    if (enabled === false) return 'opted-out'
    if (!this.auto && !enabled) return 'opted-out'
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
    const scoped = this.keys.forRead()
    if (!scoped) return 'no-scope' // a scope function that gives no scope
    const { scope } = scoped
    const custom = cc?.key ?? cc?.tag
    const key =
      custom !== undefined
        ? this.keys.custom(
            custom,
            scope,
            cc?.key !== undefined ? '$withCache key' : '$withCache tag',
          )
        : this.queryKey(plan, sqlText, shape)(params, scope)
    const models = cc?.autoInvalidate === false ? [ALL] : plan.models
    return { key, ttl, tags, swr: cc?.swr, models, onInfo: cc?.onInfo }
  }

  /** The key of a read with this SQL and shape, from its params and scope. */
  private queryKey(
    plan: ReadPlan,
    sqlText: string,
    shape: string,
  ): (params: unknown, scope: string | undefined) => string {
    plan.keys ??= new Map()
    const known = plan.keys.get(shape)
    if (known?.sql === sqlText) return known.key
    const key = this.keys.queryTemplate({ orm: 'drizzle', db: this.id, sql: sqlText, shape })
    plan.keys.set(shape, { sql: sqlText, key })
    return key
  }

  /**
   * The tables raw SQL writes, by core's one rule for raw SQL (the Prisma adapter follows it
   * too): provably read-only changes nothing; a write whose tables are all named changes those;
   * anything else, everything (`ALL`).
   */
  rawWrites(text: string): Set<string> {
    const effect = rawWriteEffect(
      text,
      (identifier) => this.names.resolve(identifier).models,
      this.names.dialect,
    )
    return effect === null
      ? new Set()
      : effect === undefined
        ? new Set([ALL])
        : new Set(effect.written)
  }

  /**
   * What a query would do, without running it (`db.$explain(query)`): a select, relational
   * query or `$count` is explained as it would be read; a write by what it invalidates.
   */
  explain(query: unknown, tx: TxState | undefined): CacheExplanation {
    const b = (query ?? {}) as Record<string, any>
    // a $count builder is an SQL itself, and thenable; a raw sql`…` is not
    const count =
      typeof b.then === 'function' &&
      (is(b.sql, SQL) || (is(query, SQL) && typeof b.build === 'function'))
    const raw = !count && is(query, SQL)
    if (!raw && !count && typeof b.toSQL !== 'function')
      throw new CacheOptionError(
        '$explain(query): expected a Drizzle query (select, insert, update, delete, db.query…, $count) or sql`…`',
      )
    const text: { sql: string; params: unknown[] } = raw
      ? this.dialect.sqlToQuery(query)
      : count
        ? typeof b.build === 'function'
          ? b.build()
          : this.dialect.sqlToQuery(b.sql)
        : b.toSQL()
    if (raw) {
      // as db.execute(sql`…`) runs it: never cached; a write invalidates what it may change
      const models = this.rawWrites(text.sql)
      if (models.size === 0) return PASSTHROUGH
      return explainWrite(this.dependencies, this.effectOf(models, true), Boolean(tx))
    }
    // as the query itself would be planned (hookCount plans a $count by its SQL)
    const plan = this.plan(count ? { getSQL: () => countSqlOf(b) } : b, text.sql)
    if (plan.kind === 'write')
      return explainWrite(this.dependencies, this.effectOf(plan.models, plan.deletes), Boolean(tx))
    if (tx || this.openSharedTransactions > 0) return explainRead({ bypass: 'transaction' })
    const decision = this.decideRead(b, plan, text.sql, text.params, count ? 'count' : 'rows')
    if (typeof decision === 'string') return explainRead({ bypass: decision })
    return explainRead({
      request: {
        key: decision.key,
        dependencies: decision.models,
        ttl: decision.ttl,
        tags: decision.tags,
        swr: decision.swr,
      },
    })
  }

  /** Runs a read through the cache; a cache failure falls back to the query itself. */
  cachedRead<T>(r: ResolvedRead, run: () => Promise<T>, transform: (v: T) => T): Promise<T> {
    return readThrough(
      this.cache,
      {
        key: r.key,
        dependencies: r.models,
        ttl: r.ttl,
        tags: r.tags,
        swr: r.swr,
        onInfo: r.onInfo,
      },
      run,
      transform,
    )
  }
}

/** Tells a query's `onInfo` that it goes to the database uncached, and why; undefined. */
export function bypassed(
  cc: QueryCacheCallOptions | undefined,
  reason: NonNullable<CacheCallInfo['reason']>,
): undefined {
  reportBypass(cc?.onInfo, reason)
  return undefined
}

export function referentialAction(action: string | undefined): ReferentialAction {
  const a = (action ?? 'no action').toLowerCase()
  return a === 'cascade' || a === 'set null' || a === 'set default' || a === 'restrict'
    ? a
    : 'no action'
}

export function minTtl(a: number | null | undefined, b: number | null | undefined) {
  if (a === undefined) return b
  if (b === undefined) return a
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}

export function splitModel(name: string): [string | undefined, string] {
  const at = name.lastIndexOf('.')
  return at === -1 ? [undefined, name] : [name.slice(0, at), name.slice(at + 1)]
}
