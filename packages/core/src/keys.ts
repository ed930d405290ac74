import { hash as digest } from 'node:crypto'
import { CacheOptionError } from './errors.js'

/**
 * Deterministic serialization: object keys sorted, `undefined` properties dropped (Prisma and
 * Drizzle treat them as absent), and values JSON cannot tell apart (Date vs string, bigint vs
 * number, bytes) written with distinct markers so they never collide in a key.
 */
export function stableStringify(value: unknown): string {
  try {
    return write(value, undefined, 0)
  } catch (error) {
    if (error !== TOO_DEEP) throw error
    // deeper than any query's arguments: write it again, now tracking ancestors to catch cycles
    return write(value, new Set(), 0)
  }
}

/** Thrown by the first pass (no cycle tracking) past this depth; a cycle always gets there. */
const MAX_UNTRACKED_DEPTH = 64
const TOO_DEEP: unique symbol = Symbol('too deep')

// characters JSON.stringify writes as they are, so such a string's JSON is itself in quotes
const PLAIN = /^[\w$ .:@/-]*$/

function quote(text: string): string {
  return text.length <= 64 && PLAIN.test(text) ? `"${text}"` : JSON.stringify(text)
}

function write(value: unknown, ancestors: Set<object> | undefined, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value)
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
  if (ancestors === undefined) {
    if (depth > MAX_UNTRACKED_DEPTH) throw TOO_DEEP
  } else {
    if (ancestors.has(value))
      throw new CacheOptionError('Cannot build a cache key from a cyclic value')
    ancestors.add(value)
  }
  const inner = depth + 1
  let out: string
  if (Array.isArray(value)) {
    out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      out += write(value[i], ancestors, inner)
    }
    out += ']'
  } else if (value instanceof Map) {
    const entries = [...value.entries()]
      .map(([k, v]) => `${write(k, ancestors, inner)}:${write(v, ancestors, inner)}`)
      .sort()
    out = `M{${entries.join(',')}}`
  } else if (value instanceof Set) {
    out = `S[${[...value]
      .map((v) => write(v, ancestors, inner))
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
      out = `${proto.constructor?.name ?? 'O'}(${write((record as { toJSON(): unknown }).toJSON(), ancestors, inner)})`
    } else {
      // class instances without toJSON (e.g. Prisma's DbNull vs JsonNull, both without own
      // properties) must not collide: their class name is part of the key
      const keys = Object.keys(record)
      if (keys.length > 1) keys.sort()
      out =
        proto !== Object.prototype && proto !== null ? `${proto.constructor?.name || 'O'}{` : '{'
      let first = true
      for (const k of keys) {
        const v = record[k]
        if (v === undefined) continue
        if (!first) out += ','
        first = false
        out += `${quote(k)}:${write(v, ancestors, inner)}`
      }
      out += '}'
    }
  }
  ancestors?.delete(value)
  return out
}

/** SHA-256, base64url: 43 characters, safe in any store key. */
export function hash(input: string): string {
  return digest('sha256', input, 'base64url')
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

const RECENT_KEYS = 64

/**
 * `generateQueryCacheKey({ ...fixed, params, scope })` for queries whose `fixed` part is the same
 * on every call (a prepared statement's SQL): the fixed part is written once, here, and each call
 * writes only its params and scope. Gives exactly the key generateQueryCacheKey gives.
 */
export function queryKeyTemplate(
  fixed: Record<string, unknown>,
): (params: unknown, scope: string | undefined) => string {
  if ('params' in fixed || 'scope' in fixed)
    throw new CacheOptionError('queryKeyTemplate: params and scope vary per call; leave them out')
  const PARAMS = 0
  const SCOPE = 1
  const names = Object.keys(fixed).filter((k) => fixed[k] !== undefined)
  const parts: (string | typeof PARAMS | typeof SCOPE)[] = [...names, 'params', 'scope']
    .sort()
    .map((name) =>
      name === 'params'
        ? PARAMS
        : name === 'scope'
          ? SCOPE
          : `${quote(name)}:${stableStringify(fixed[name])}`,
    )
  // the keys of recent calls, by what varied: a query read again is hashed once, not per read
  const recent = new Map<string, string>()
  return (params, scope) => {
    const paramsText = params === undefined ? undefined : stableStringify(params)
    const varied =
      scope === undefined ? `u${paramsText ?? ''}` : `s${scope.length}:${scope}${paramsText ?? ''}`
    const known = recent.get(varied)
    if (known !== undefined) return known
    let out = '{'
    for (const part of parts) {
      let text: string
      if (part === PARAMS) {
        if (paramsText === undefined) continue
        text = `"params":${paramsText}`
      } else if (part === SCOPE) {
        if (scope === undefined) continue
        text = `"scope":${quote(scope)}`
      } else text = part
      out += out.length === 1 ? text : `,${text}`
    }
    const key = `query:${hash(`${out}}`)}:v${KEY_FORMAT_VERSION}`
    if (recent.size >= RECENT_KEYS) recent.clear()
    recent.set(varied, key)
    return key
  }
}

/** Redis Cluster's hash slot of a key: CRC16 (XMODEM) of the key, or of its first non-empty `{tag}`. */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key)
  let start = 0
  let end = bytes.length
  const open = bytes.indexOf(0x7b) // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1) // }
    if (close > open + 1) {
      start = open + 1
      end = close
    }
  }
  let crc = 0
  for (let i = start; i < end; i++)
    crc = ((crc << 8) ^ CRC16[((crc >> 8) ^ bytes[i]!) & 0xff]!) & 0xffff
  return crc & 16383
}

const CRC16 = (() => {
  const table = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1
    table[i] = c & 0xffff
  }
  return table
})()

const LOCATED_MAX = 1024

/** Where one user key's entry lives, and which copy of the tokens it reads. */
export interface EntryLocation {
  readonly entry: string
  readonly group: number
}

/**
 * Where things live in the store. Entries are versioned (bumping `version` orphans them all);
 * generation tokens are not, so processes of an old and a new deploy sharing one store still
 * see each other's invalidations.
 *
 * On a single node there is one group and the keys carry no hash tag. On Redis Cluster
 * (`groups` > 1) every group is one hash slot holding its entries and its own copy of every token,
 * so a hit reads one slot on one node (one MGET) and the groups spread entries, and the token reads
 * of hits, over the masters; an invalidation rotates the token in every group.
 */
export class KeyLayout {
  readonly entryPrefix: string
  readonly entriesRoot: string
  readonly groups: number
  private readonly entryPrefixes: string[]
  private readonly tokenPrefixes: string[]
  private readonly allTokens: string[]
  /** `m:`/`g:` + name → `m:`/`g:` + its hash (see suffix). */
  private readonly suffixes = new Map<string, string>()

  constructor(namespace: string, version: number, groups = 1) {
    this.groups = groups
    this.entriesRoot = `${namespace}:e:`
    this.entryPrefix = `${namespace}:e:v${version}:`
    const tags = groups === 1 ? [''] : slotTags(namespace, groups)
    this.entryPrefixes = tags.map((tag) => this.entryPrefix + tag)
    this.tokenPrefixes = tags.map((tag) => `${namespace}:t:${tag}`)
    this.allTokens = this.tokenPrefixes.map((prefix) => `${prefix}*`)
  }

  /**
   * Locations of recently used keys: a hit's key is, by definition, used again, and hashing it is
   * a tenth of a memory hit. Bounded (emptied when full); a key's location never changes.
   */
  private readonly located = new Map<string, EntryLocation>()

  locate(userKey: string): EntryLocation {
    const known = this.located.get(userKey)
    if (known !== undefined) return known
    const h = hash(userKey)
    // base64url: the first two characters carry 12 well-mixed bits of the digest
    const group =
      this.groups === 1
        ? 0
        : (BASE64URL.indexOf(h[0]!) * 64 + BASE64URL.indexOf(h[1]!)) % this.groups
    const location: EntryLocation = { entry: this.entryPrefixes[group]! + h, group }
    if (this.located.size >= LOCATED_MAX) this.located.clear()
    this.located.set(userKey, location)
    return location
  }

  entry(userKey: string): string {
    return this.locate(userKey).entry
  }

  allToken(group: number): string {
    return this.allTokens[group]!
  }

  model(name: string, group: number): string {
    return this.tokenPrefixes[group] + this.suffix('m:', name)
  }

  tag(name: string, group: number): string {
    return this.tokenPrefixes[group] + this.suffix('g:', name)
  }

  /**
   * `m:`/`g:` and the name's hash, remembered: every read resolves its models' and tags' token
   * keys, and the names are few (bounded anyway: tags may be made per request).
   */
  private suffix(kind: 'm:' | 'g:', name: string): string {
    const id = kind + name
    const known = this.suffixes.get(id)
    if (known !== undefined) return known
    if (this.suffixes.size >= 10_000) this.suffixes.clear()
    const made = kind + hash(name)
    this.suffixes.set(id, made)
    return made
  }

  /** Every group's copy of the namespace token. */
  everyAllToken(): string[] {
    return this.allTokens
  }

  /** Every group's copy of these models' tokens. */
  everyModel(names: readonly string[]): string[] {
    return this.every(names.map((n) => this.suffix('m:', n)))
  }

  everyTag(names: readonly string[]): string[] {
    return this.every(names.map((n) => this.suffix('g:', n)))
  }

  private every(suffixes: string[]): string[] {
    const out: string[] = []
    for (const prefix of this.tokenPrefixes) for (const s of suffixes) out.push(prefix + s)
    return out
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * One hash tag per group, chosen so group g's slot falls in the g-th equal share of the 16384
 * slots: a cluster created with equal contiguous ranges per master gets the groups spread evenly.
 * Deterministic, so every process computes the same tags.
 */
function slotTags(namespace: string, groups: number): string[] {
  const tags: string[] = []
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * 16384) / groups)
    const to = Math.floor(((g + 1) * 16384) / groups)
    for (let n = 0; ; n++) {
      const tag = `{${namespace}~${g}.${n}}`
      const slot = keySlot(tag)
      if (slot >= from && slot < to) {
        tags.push(`${tag}:`)
        break
      }
    }
  }
  return tags
}
