import { CacheOptionError } from './errors.js'

/**
 * Option checks shared by the cache and the adapter kit: a user mistake fails fast, naming the
 * option and what it accepts.
 */

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0)
    throw new CacheOptionError(
      `key must be a non-empty string; got ${typeof key === 'string' ? '""' : typeof key}`,
    )
}

export function checkTtl(ttl: unknown, name: string): number | null {
  if (ttl === null) return null
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new CacheOptionError(
      `${name} must be a number of seconds greater than 0, or null to keep until invalidated; got ${String(ttl)}`,
    )
  }
  return ttl
}

export function checkPositive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new CacheOptionError(`${name} must be a positive number; got ${String(value)}`)
  return value
}

export function checkNonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new CacheOptionError(`${name} must be a number of seconds ≥ 0; got ${String(value)}`)
  return value
}

export function checkNames(names: unknown, option: string): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n.length === 0)) {
    throw new CacheOptionError(
      `${option} must be an array of non-empty strings; got ${JSON.stringify(names)}`,
    )
  }
  return names as string[]
}

export function checkFunction(value: unknown, name: string, shape: string): void {
  if (value !== undefined && typeof value !== 'function')
    throw new CacheOptionError(`${name} must be a function ${shape}`)
}

/** Whether two arrays hold the same items in the same order (compared with ===). */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
