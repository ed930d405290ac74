// Raw SQL, batches and transactions: what they write is invalidated by core's one failed-write rule.
import type { TransactionWrites } from '@querycache/core/adapter'
import { ALL } from './analyze.js'
import { wrapDatabase } from './db.js'
import type { Engine } from './engine.js'
import { define, HOOKED, type TxState } from './types.js'

/** Raw SQL (`db.execute`, SQLite's `db.run/all/get/values`): not cached; writes invalidate what they name. */
export function hookRaw<T>(raw: T, query: unknown, engine: Engine, tx: TxState | undefined): T {
  const r = raw as Record<string | symbol, any>
  if (!r || (typeof r !== 'object' && typeof r !== 'function')) return raw // a synchronous driver already ran it
  let models: Set<string>
  try {
    const text: string =
      typeof query === 'string'
        ? query
        : (r.getQuery?.().sql ??
          engine.dialect.sqlToQuery((query as { getSQL(): unknown }).getSQL()).sql)
    models = engine.rawWrites(text)
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

export function writesOf(query: unknown, engine: Engine): Set<string> {
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

export async function batch(
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

export async function transaction(
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
