// The proxies: a wrapped db and its relational query namespace hand out hooked builders.
import { hookCount, hookFresh } from './builders.js'
import type { Engine } from './engine.js'
import { batch, hookRaw, transaction } from './statements.js'
import { ENGINE, type TxState } from './types.js'

export function wrapDatabase(db: object, engine: Engine, tx: TxState | undefined): object {
  const target = db as Record<string | symbol, any>
  const proxies = new Map<string | symbol, unknown>()
  return new Proxy(db, {
    get(_t, prop) {
      if (prop === ENGINE) return engine
      if (prop === '$cache') return engine.facade
      if (prop === '$explain') return (query: unknown) => engine.explain(query, tx)
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

export function wrapRelationalNamespace(
  query: object,
  engine: Engine,
  tx: TxState | undefined,
): object {
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
