import { createHash } from 'node:crypto'
import { CacheOptionError } from './errors.js'

/**
 * Deterministic serialization: object keys sorted, `undefined` properties dropped (Prisma and
 * Drizzle treat them as absent), and values JSON cannot tell apart (Date vs string, bigint vs
 * number, bytes) written with distinct markers so they never collide in a key.
 */
export function stableStringify(value: unknown): string {
  return write(value, new Set())
}

function write(value: unknown, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? '-0' : String(value)) : `#${value}`
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      return `${value}n`
    case 'undefined':
      return 'undefined'
    case 'object':
      break
    default:
      // functions and symbols have no stable identity across processes
      return `#${typeof value}`
  }
  if (value === null) return 'null'
  if (value instanceof Date)
    return `D${Number.isNaN(value.getTime()) ? 'NaN' : value.toISOString()}`
  if (value instanceof Uint8Array)
    return `B${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}`
  if (ancestors.has(value))
    throw new CacheOptionError('Cannot build a cache key from a cyclic value')
  ancestors.add(value)
  let out: string
  if (Array.isArray(value)) {
    out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      out += write(value[i], ancestors)
    }
    out += ']'
  } else if (value instanceof Map) {
    const entries = [...value.entries()]
      .map(([k, v]) => `${write(k, ancestors)}:${write(v, ancestors)}`)
      .sort()
    out = `M{${entries.join(',')}}`
  } else if (value instanceof Set) {
    out = `S[${[...value]
      .map((v) => write(v, ancestors))
      .sort()
      .join(',')}]`
  } else {
    const record = value as Record<string, unknown>
    // Decimal-like and other classes with a meaningful toJSON (Prisma.Decimal, ObjectId, …)
    const proto = Object.getPrototypeOf(value)
    if (
      proto !== Object.prototype &&
      proto !== null &&
      typeof (record as { toJSON?: unknown }).toJSON === 'function'
    ) {
      out = `${proto.constructor?.name ?? 'O'}(${write((record as { toJSON(): unknown }).toJSON(), ancestors)})`
    } else {
      // class instances without toJSON (e.g. Prisma's DbNull vs JsonNull, both without own
      // properties) must not collide: their class name is part of the key
      const keys = Object.keys(record).sort()
      out =
        proto !== Object.prototype && proto !== null ? `${proto.constructor?.name || 'O'}{` : '{'
      let first = true
      for (const k of keys) {
        const v = record[k]
        if (v === undefined) continue
        if (!first) out += ','
        first = false
        out += `${JSON.stringify(k)}:${write(v, ancestors)}`
      }
      out += '}'
    }
  }
  ancestors.delete(value)
  return out
}

/** SHA-256, base64url: 43 characters, safe in any store key. */
export function hash(input: string): string {
  return createHash('sha256').update(input).digest('base64url')
}

/** The version of the key algorithm itself; part of every generated key. */
export const KEY_FORMAT_VERSION = 1

/**
 * A stable key for a query: equal inputs (object key order aside) give equal keys, any difference
 * in model, operation, arguments, SQL or params gives a different key.
 */
export function generateQueryCacheKey(input: unknown): string {
  return `query:${hash(stableStringify(input))}:v${KEY_FORMAT_VERSION}`
}

/**
 * Where things live in the store. Entries are versioned (bumping `version` orphans them all);
 * generation tokens are not, so processes of an old and a new deploy sharing one store still
 * see each other's invalidations.
 */
export class KeyLayout {
  readonly entryPrefix: string
  readonly entriesRoot: string
  readonly allToken: string
  private readonly tokenPrefix: string

  constructor(namespace: string, version: number) {
    this.entriesRoot = `${namespace}:e:`
    this.entryPrefix = `${namespace}:e:v${version}:`
    this.tokenPrefix = `${namespace}:t:`
    this.allToken = `${namespace}:t:*`
  }

  entry(userKey: string): string {
    return this.entryPrefix + hash(userKey)
  }

  model(name: string): string {
    return `${this.tokenPrefix}m:${hash(name)}`
  }

  tag(name: string): string {
    return `${this.tokenPrefix}g:${hash(name)}`
  }
}
