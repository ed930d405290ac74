import { CacheOptionError } from '../errors.js'
import { generateQueryCacheKey } from '../keys.js'

/** Returns the scope of the current call (tenant, role…), or undefined. */
export type ScopeFunction = () => string | undefined

/**
 * Keys of adapter reads, with the caller's scope in every one, so two scopes never share an
 * entry: generated keys hash the scope with the query; a key of the user's own gets `@<scope>`.
 */
export class ScopedKeys {
  constructor(private readonly scopeFn: ScopeFunction | undefined) {
    if (scopeFn !== undefined && typeof scopeFn !== 'function')
      throw new CacheOptionError('scope must be a function returning a string or undefined')
  }

  /** The scope of this call (read once per call). */
  current(): string | undefined {
    return this.scopeFn?.()
  }

  /** The key of a query: a stable hash of what identifies it, and the scope. */
  query(input: Record<string, unknown>, scope: string | undefined): string {
    return generateQueryCacheKey({ ...input, scope })
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
