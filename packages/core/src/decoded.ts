import type { EntryHead } from './entry.js'

/**
 * Entries read more than once, kept decoded: a read whose stored text is exactly what was read
 * before hands out a copy of the decoded value instead of parsing and reviving it again (a hit's
 * largest cost). The text is compared in full, so a rewritten entry is always parsed afresh, and
 * its validity (tokens, expiry) is still decided on every read from the entry's head. Bounded by
 * entry count and by the stored texts' total length; least recently used go first.
 */
export class DecodedEntries {
  private readonly map = new Map<string, Remembered>()
  private chars = 0

  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  /** What was remembered for `key` if its stored text is still `raw`. */
  get(key: string, raw: string): Remembered | undefined {
    const known = this.map.get(key)
    if (known === undefined) return undefined
    if (known.raw !== raw) {
      this.remove(key, known)
      return undefined
    }
    // most recently used last
    this.map.delete(key)
    this.map.set(key, known)
    return known
  }

  /**
   * Remembers an entry: read once, as its head only (`decoded: false`), cheaply; read a second
   * time, decoded. One-off reads never pay for a copy.
   */
  set(key: string, remembered: Remembered): void {
    if (remembered.raw.length > this.maxChars / 8) return
    const known = this.map.get(key)
    if (known !== undefined) this.remove(key, known)
    this.map.set(key, remembered)
    this.chars += remembered.raw.length
    while (this.map.size > this.maxEntries || this.chars > this.maxChars) {
      const [oldest, entry] = this.map.entries().next().value!
      this.remove(oldest, entry)
    }
  }

  delete(key: string): void {
    const known = this.map.get(key)
    if (known !== undefined) this.remove(key, known)
  }

  private remove(key: string, known: Remembered): void {
    this.map.delete(key)
    this.chars -= known.raw.length
  }
}

export interface Remembered {
  /** The stored text (signed, when entries are signed) this was read from. */
  raw: string
  /** Its parsed head. */
  entry: EntryHead
  /** The decoded payload, once `decoded` is set. */
  value: unknown
  decoded: boolean
}

/** Makes a value's own copy: plain objects, arrays, Dates, bytes, Maps, Sets and codec types. */
export type Cloner = (value: unknown) => unknown

/** What `copyRegistered` returns for a value of no registered codec type. */
export const NOT_REGISTERED: unique symbol = Symbol('not a registered codec type')

/** Thrown by a strict cloner for a value it cannot copy exactly as the codec would encode it. */
export const NOT_COPYABLE: unique symbol = Symbol('not exactly copyable')

/** Nesting beyond this makes a strict cloner give up (cycles end here, not in a stack overflow). */
const STRICT_DEPTH = 200

/**
 * A deep copy of a decoded value, so callers never share objects. `copyRegistered` copies values
 * of registered codec types, which are checked before the built-in kinds, as the codec encodes.
 * `strict`: for results not yet encoded, the copy must encode exactly as the original would, so
 * anything the codec would refuse or reshape (functions, symbols, unregistered class instances,
 * nesting past 200, which includes cycles) throws NOT_COPYABLE instead of being structuredClone'd.
 */
export function makeCloner(
  copyRegistered: (value: object) => unknown | typeof NOT_REGISTERED,
  strict = false,
): Cloner {
  const clone = (value: unknown, depth: number): unknown => {
    if (value === null) return value
    if (typeof value !== 'object') {
      if (strict && (typeof value === 'function' || typeof value === 'symbol')) throw NOT_COPYABLE
      return value
    }
    const deeper = depth + 1
    if (strict) {
      if (depth > STRICT_DEPTH) throw NOT_COPYABLE
      // as the encoder does: registered types first, for arrays and plain objects too (a type
      // may recognise an Array subclass, or a plain object by a brand)
      const registered = copyRegistered(value)
      if (registered !== NOT_REGISTERED) return registered
    }
    if (Array.isArray(value)) {
      const out = new Array(value.length)
      for (let i = 0; i < value.length; i++) out[i] = clone(value[i], deeper)
      return out
    }
    const proto = Object.getPrototypeOf(value)
    if (proto === Object.prototype || proto === null) {
      const record = value as Record<string, unknown>
      const out: Record<string, unknown> = proto === null ? Object.create(null) : {}
      // strict: own keys only, as the encoder reads them (for…in would also see keys someone
      // added to Object.prototype); a decoded value has nothing else
      if (strict)
        for (const key of Object.keys(record)) setKey(out, key, clone(record[key], deeper))
      else for (const key in record) setKey(out, key, clone(record[key], deeper))
      return out
    }
    if (!strict) {
      const registered = copyRegistered(value)
      if (registered !== NOT_REGISTERED) return registered
    }
    if (value instanceof Date) return new Date(value.getTime())
    if (Buffer.isBuffer(value)) return Buffer.from(value)
    if (value instanceof Uint8Array) return new Uint8Array(value)
    if (value instanceof Map) {
      const out = new Map()
      for (const [k, v] of value) out.set(clone(k, deeper), clone(v, deeper))
      return out
    }
    if (value instanceof Set) {
      const out = new Set()
      for (const v of value) out.add(clone(v, deeper))
      return out
    }
    if (strict) throw NOT_COPYABLE
    // nothing the codec decodes to, so nothing a kept entry holds; still never shared
    return structuredClone(value)
  }
  return (value) => clone(value, 0)
}

function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  // a JSON column may hold a "__proto__" key; assignment would set the prototype instead
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
