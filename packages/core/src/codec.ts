import { makeCloner, NOT_REGISTERED } from './decoded.js'
import { CodecError } from './errors.js'

/**
 * A type the codec should carry across the store, e.g. Prisma's Decimal:
 * `{ name: 'Decimal', test: Decimal.isDecimal, encode: (d) => d.toString(), decode: (s) => new Decimal(s) }`.
 * `encode` must return plain JSON (it is not walked again).
 */
export interface CodecType<T = unknown, J = unknown> {
  name: string
  test(value: unknown): value is T
  encode(value: T): J
  decode(json: J): T
  /**
   * A copy of a decoded value, for hits served from entries kept decoded (return the value itself
   * for immutable types). Default: `decode` of a JSON copy of `encode(value)`.
   */
  clone?(value: T): T
}

// Tagged values are objects with exactly one key, TAG. A user object that has a TAG key of its
// own is escaped as an 'o' tag, so user JSON that mimics our tags always round-trips as JSON.
const TAG = '$qc'

type Tagged = { [TAG]: [string, unknown] }

export interface Encoded {
  json: string
  /** Whether decoding needs a walk; plain JSON results are returned straight from JSON.parse. */
  tagged: boolean
}

export class Codec {
  private readonly types: CodecType[] = []
  private readonly byName = new Map<string, CodecType>()

  register<T, J>(type: CodecType<T, J>): this {
    if (!type.name || /[^\w.-]/.test(type.name)) {
      throw new CodecError(
        `Codec type name "${type.name}" must be non-empty and use only letters, digits, ".", "_" or "-"`,
      )
    }
    const existing = this.byName.get(type.name)
    if (existing === (type as unknown as CodecType)) return this
    if (existing) throw new CodecError(`A codec type named "${type.name}" is already registered`)
    this.types.push(type as unknown as CodecType)
    this.byName.set(type.name, type as unknown as CodecType)
    return this
  }

  /** Throws CodecError for values that cannot round-trip exactly. */
  encode(value: unknown): Encoded {
    const state = { tagged: false }
    const tree = this.toTree(value, state, new Set())
    return { json: JSON.stringify(tree), tagged: state.tagged }
  }

  /** Throws on malformed input; the caller treats that as a corrupt entry. */
  decode(json: string, tagged: boolean): unknown {
    const tree = JSON.parse(json)
    return tagged ? this.fromTree(tree) : tree
  }

  private readonly copyRegistered = (value: object): unknown => {
    for (const type of this.types) {
      if (type.test(value))
        return type.clone
          ? type.clone(value)
          : // through JSON, as an entry would: encode may hand out the value's own objects
            type.decode(JSON.parse(JSON.stringify(type.encode(value))))
    }
    return NOT_REGISTERED
  }

  /** A deep copy of a decoded value (see CodecType.clone). */
  readonly clone = makeCloner(this.copyRegistered)

  /**
   * A private copy of a result that encodes exactly as the result itself would, taken before the
   * caller can change it, so the result can be encoded later; throws NOT_COPYABLE for a value the
   * codec might refuse or reshape (encode it instead).
   */
  readonly snapshot = makeCloner(this.copyRegistered, true)

  /** Decode an already parsed tree (used when the payload was parsed together with its envelope). */
  revive(tree: unknown, tagged: boolean): unknown {
    return tagged ? this.fromTree(tree) : tree
  }

  private tag(state: { tagged: boolean }, kind: string, payload: unknown): Tagged {
    state.tagged = true
    return { [TAG]: [kind, payload] }
  }

  private toTree(value: unknown, state: { tagged: boolean }, ancestors: Set<object>): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return value
        return this.tag(state, 'N', Object.is(value, -0) ? '-0' : String(value))
      case 'bigint':
        return this.tag(state, 'n', value.toString())
      case 'undefined':
        return this.tag(state, 'u', 0)
      case 'function':
      case 'symbol':
        throw new CodecError(`Cannot cache a ${typeof value}: results must be data`)
    }
    if (value === null) return null
    const obj = value as object
    for (const type of this.types) {
      if (type.test(obj)) return this.tag(state, `x:${type.name}`, type.encode(obj))
    }
    if (obj instanceof Date)
      return this.tag(state, 'D', Number.isNaN(obj.getTime()) ? null : obj.getTime())
    if (Buffer.isBuffer(obj)) return this.tag(state, 'B', obj.toString('base64'))
    if (obj instanceof Uint8Array) {
      return this.tag(
        state,
        'U',
        Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64'),
      )
    }
    if (ancestors.has(obj)) throw new CodecError('Cannot cache a value with a cycle')
    ancestors.add(obj)
    let out: unknown
    if (Array.isArray(obj)) {
      const arr = new Array(obj.length)
      for (let i = 0; i < obj.length; i++) arr[i] = this.toTree(obj[i], state, ancestors)
      out = arr
    } else if (obj instanceof Map) {
      out = this.tag(
        state,
        'M',
        [...obj].map(([k, v]) => [
          this.toTree(k, state, ancestors),
          this.toTree(v, state, ancestors),
        ]),
      )
    } else if (obj instanceof Set) {
      out = this.tag(
        state,
        'S',
        [...obj].map((v) => this.toTree(v, state, ancestors)),
      )
    } else {
      const proto = Object.getPrototypeOf(obj)
      if (proto !== Object.prototype && proto !== null) {
        const name = proto?.constructor?.name ?? 'unknown'
        throw new CodecError(
          `Cannot cache an instance of ${name}: register it with codec.register({ name, test, encode, decode }) so it comes back as a ${name}`,
        )
      }
      const record = obj as Record<string, unknown>
      const tree: Record<string, unknown> = {}
      for (const key of Object.keys(record)) {
        const encoded = this.toTree(record[key], state, ancestors)
        // a JSON column may hold a "__proto__" key; assignment would set the prototype instead
        if (key === '__proto__')
          Object.defineProperty(tree, key, {
            value: encoded,
            enumerable: true,
            writable: true,
            configurable: true,
          })
        else tree[key] = encoded
      }
      out = Object.hasOwn(record, TAG) ? this.tag(state, 'o', tree) : tree
    }
    ancestors.delete(obj)
    return out
  }

  private fromTree(tree: unknown): unknown {
    if (tree === null || typeof tree !== 'object') return tree
    if (Array.isArray(tree)) {
      for (let i = 0; i < tree.length; i++) tree[i] = this.fromTree(tree[i])
      return tree
    }
    const record = tree as Record<string, unknown>
    const tagged = record[TAG]
    if (tagged !== undefined) return this.untag(tagged)
    for (const key in record) record[key] = this.fromTree(record[key])
    return record
  }

  private untag(tagged: unknown): unknown {
    if (!Array.isArray(tagged) || tagged.length !== 2 || typeof tagged[0] !== 'string') {
      throw new CodecError('Malformed tagged value')
    }
    const [kind, payload] = tagged as [string, unknown]
    switch (kind) {
      case 'u':
        return undefined
      case 'N':
        return payload === '-0' ? -0 : Number(payload)
      case 'n':
        return BigInt(payload as string)
      case 'D':
        return new Date(payload === null ? Number.NaN : (payload as number))
      case 'B':
        return Buffer.from(payload as string, 'base64')
      case 'U':
        return new Uint8Array(Buffer.from(payload as string, 'base64'))
      case 'M':
        return new Map(
          (payload as [unknown, unknown][]).map(([k, v]) => [this.fromTree(k), this.fromTree(v)]),
        )
      case 'S':
        return new Set((payload as unknown[]).map((v) => this.fromTree(v)))
      case 'o': {
        const record = payload as Record<string, unknown>
        for (const key in record) record[key] = this.fromTree(record[key])
        return record
      }
    }
    if (kind.startsWith('x:')) {
      const type = this.byName.get(kind.slice(2))
      if (!type)
        throw new CodecError(
          `Entry uses codec type "${kind.slice(2)}", which is not registered in this process`,
        )
      return type.decode(payload)
    }
    throw new CodecError(`Unknown tag "${kind}"`)
  }
}
