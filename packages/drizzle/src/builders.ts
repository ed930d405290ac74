// Builders and prepared queries: where a read meets the cache and a builder write invalidates.
import { CacheOptionError } from '@querycache/core'
import { checkCallOptions as checkOptions } from '@querycache/core/adapter'
import { is, SQL } from 'drizzle-orm'
import { ALL } from './analyze.js'
import { bypassed, type Engine } from './engine.js'
import { toPlain } from './plain.js'
import {
  define,
  HOOKED,
  type Plan,
  type QueryCacheCallOptions,
  type ResolvedRead,
  type TxState,
} from './types.js'

/**
 * `$withCache(options | false)` on every cached read: Drizzle's own on select builders (wrapped to
 * check the options where they are written), ours on relational queries and `$count`.
 */
export function addWithCache(obj: Record<string, any>): void {
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
export function checkCallOptions(config: unknown): void {
  const o = checkOptions(
    config,
    '$withCache',
    "{ ttl?, tags?, key?, swr?, onInfo? } (or Drizzle's { tag?, config?, autoInvalidate? })",
  ) as QueryCacheCallOptions | false | undefined
  if (o && o.tag !== undefined && (typeof o.tag !== 'string' || o.tag.length === 0))
    throw new CacheOptionError('$withCache: tag must be a non-empty string')
}

/** Hooks a builder created through the wrapped db (a fresh object, so it can be patched). */
export function hookFresh<T>(obj: T, engine: Engine, tx: TxState | undefined): T {
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

export const PREPARED_METHODS = ['run', 'all', 'get', 'values', 'execute'] as const
/**
 * Whether the running method returns the driver's rows in the shape Drizzle maps on every call:
 * node-postgres/mysql2 `execute`, or SQLite `values` called by `all`/`get`. A `values()`, `run()`
 * or node-postgres `all()` of your own returns the driver's objects, which are never cached.
 */
export function mappedShape(running: readonly string[]): boolean {
  const [outer, inner] = running.slice(-2)
  return running.length === 1
    ? outer === 'execute'
    : inner === 'execute' || (inner === 'values' && (outer === 'all' || outer === 'get'))
}

export function hookPrepared(
  prepared: unknown,
  builder: Record<string, any>,
  engine: Engine,
  tx: TxState | undefined,
): unknown {
  const p = prepared as Record<string | symbol, any> | null
  if (!p || typeof p.queryWithCache !== 'function' || p[HOOKED]) return prepared
  define(p, HOOKED, true)
  // Drizzle 1.0 skips queryWithCache when it has no cache of its own configured (a fast path)
  if (p.fastPath === true) p.fastPath = false
  // Which method of the prepared query is running: they call queryWithCache synchronously, and
  // each returns the driver's result in its own shape (SQLite `run` a ResultSet, `values` row
  // arrays; node-postgres `execute` array-mode rows, `all` objects); see mappedShape. `all` and
  // `get` call `values` of the same prepared query, so its own stack says who called whom.
  const running: string[] = []
  for (const method of PREPARED_METHODS) {
    const fn = p[method]
    if (typeof fn !== 'function') continue
    define(p, method, function (this: unknown, ...args: unknown[]) {
      running.push(method)
      try {
        return fn.apply(this, args)
      } finally {
        running.pop()
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
  // 0.45: (sql, params, query); 1.0 SQLite: (sql, params, executeMethod, query)
  const original = p.queryWithCache as (
    sql: string,
    params: unknown[],
    ...rest: unknown[]
  ) => Promise<unknown>
  define(
    p,
    'queryWithCache',
    function (this: Record<string, any>, sql: string, params: unknown[], ...rest: unknown[]) {
      const query = rest.pop() as () => Promise<unknown>
      const method = rest[0] as string | undefined
      const plan = planFor(sql)
      if (plan.kind === 'write') {
        return original.call(this, sql, params, ...rest, () =>
          engine.write(query, plan.models, tx, plan.deletes),
        )
      }
      // only results Drizzle maps afterwards are cached (raw driver rows, mapped on every hit)
      const mapped = Boolean(this.fields || this.customResultMapper || this.mapper)
      const shaped =
        method === undefined ? mappedShape(running) : method === 'all' || method === 'get'
      const resolved =
        tx || !mapped || !shaped || engine.openSharedTransactions > 0
          ? undefined
          : safe(() =>
              engine.resolveRead(builder, plan, sql, params, method === 'get' ? 'row' : 'rows'),
            )
      if (!resolved) {
        if (mapped) engine.cache.recordBypass()
        if (tx || engine.openSharedTransactions > 0) bypassed(builder.cacheConfig, 'transaction')
        return original.call(this, sql, params, ...rest, query)
      }
      return original.call(this, sql, params, ...rest, () =>
        engine.cachedRead(resolved, query, (v) => toPlain(v) as never),
      )
    },
  )
  return prepared
}
export function safe<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}

/** `db.$count(table, where)`: a thenable SQL; its result (a number) is cached. */
export function hookCount<T>(builder: T, engine: Engine, tx: TxState | undefined): T {
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
      bypassed(this.cacheConfig, 'transaction')
      promise = run()
    } else {
      let resolved: ResolvedRead | undefined
      try {
        // 0.45: the count's SQL is `.sql`; 1.0: the builder is an SQL, built by `build()`
        const countSql = countSqlOf(this)
        const query =
          typeof this.build === 'function' ? this.build() : engine.dialect.sqlToQuery(countSql)
        const plan = engine.plan({ getSQL: () => countSql }, query.sql)
        if (plan.kind === 'read')
          resolved = engine.resolveRead(this, plan, query.sql, query.params, 'count')
      } catch {
        resolved = undefined
      }
      if (!resolved) engine.cache.recordBypass() // opted out, no scope, or unreadable
      promise = resolved ? engine.cachedRead(resolved, run, (v) => v) : run()
    }
    return promise.then(onFulfilled, onRejected)
  })
  return builder
}

/** The SQL of a `$count` builder: its `.sql` (0.45) or itself (1.0, where it is an SQL). */
export function countSqlOf(builder: Record<string, any>): unknown {
  return is(builder.sql, SQL) ? builder.sql : builder
}
