// db.$cache: the QueryCache, plus Drizzle's invalidate({ tables, tags }).
import { is, Table } from 'drizzle-orm'
import type { Engine } from './engine.js'
import type { DrizzleQueryCache } from './types.js'

export function makeFacade(engine: Engine): DrizzleQueryCache {
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

export function toArray<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...value] : [value as T]
}
