import { CacheOptionError } from '../errors.js'
import { generateQueryCacheKey, queryKeyTemplate } from '../keys.js'

/** Returns the scope of the current call (tenant, role…), or undefined. */
export type ScopeFunction = () => string | undefined

/**
 * What a read does when a `scope` function is set but returns no scope (undefined, or throws):
 * `'bypass'` (the default) goes to the database uncached, since a lost context (an
 * AsyncLocalStorage store gone by the time a lazy query runs) would otherwise share one entry
 * among every caller without a scope; `'shared'` uses that one unscoped entry on purpose.
 */
export type UnscopedReads = 'bypass' | 'shared'

/**
 * Keys of adapter reads, with the caller's scope in every one, so two scopes never share an
 * entry: generated keys hash the scope with the query; a key of the user's own gets `@<scope>`.
 */
export class ScopedKeys {
  constructor(
    private readonly scopeFn: ScopeFunction | undefined,
    private readonly unscoped: UnscopedReads = 'bypass',
  ) {
    if (scopeFn !== undefined && typeof scopeFn !== 'function')
      throw new CacheOptionError('scope must be a function returning a string or undefined')
    if (unscoped !== 'bypass' && unscoped !== 'shared')
      throw new CacheOptionError(
        `unscoped must be 'bypass' or 'shared'; got ${JSON.stringify(unscoped)}`,
      )
  }

  /**
   * The scope of this read (called once per read), or undefined when the read must bypass the
   * cache: a scope function is set and gives no scope, and unscoped reads are not shared.
   */
  forRead(): { scope: string | undefined } | undefined {
    if (this.scopeFn === undefined) return { scope: undefined }
    let scope: string | undefined
    try {
      // an empty scope is no scope: `key@` would otherwise be shared with the unscoped entry
      scope = this.scopeFn() || undefined
    } catch {
      scope = undefined
    }
    if (scope === undefined && this.unscoped === 'bypass') return undefined
    return { scope }
  }

  /** The key of a query: a stable hash of what identifies it, and the scope. */
  query(input: Record<string, unknown>, scope: string | undefined): string {
    return generateQueryCacheKey({ ...input, scope })
  }

  /**
   * `query({ ...fixed, params }, scope)` for queries that differ only in their params (one SQL
   * statement run many times): the fixed part is written into the key once.
   */
  queryTemplate(
    fixed: Record<string, unknown>,
  ): (params: unknown, scope: string | undefined) => string {
    return queryKeyTemplate(fixed)
  }

  /** A key of the user's own, with `@<scope>` appended when the adapter has a scope. */
  custom(key: string, scope: string | undefined, option = 'key'): string {
    if (this.scopeFn === undefined) return key
    if (key.includes('@'))
      throw new CacheOptionError(
        `${option} "${key}": with a scope, keys cannot contain "@" (it separates the key from the scope)`,
      )
    return `${key}@${scope ?? ''}`
  }
}
