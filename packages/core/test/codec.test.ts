import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Codec, CodecError, createQueryCache } from '../src/index.js'

// A stand-in for an adapter-registered type such as Prisma's Decimal.
class Money {
  constructor(readonly cents: bigint) {}
}
const moneyType = {
  name: 'Money',
  test: (v: unknown): v is Money => v instanceof Money,
  encode: (m: Money) => m.cents.toString(),
  decode: (s: string) => new Money(BigInt(s)),
}

const codec = new Codec().register(moneyType)
const roundTrip = (v: unknown) => {
  const { json, tagged } = codec.encode(v)
  return codec.decode(json, tagged)
}

const leaf = fc.oneof(
  fc.string(),
  fc.double(), // includes NaN, ±Infinity, -0
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.uint8Array().map((a) => new Uint8Array(a)),
  fc.uint8Array().map((a) => Buffer.from(a)),
  fc.bigInt().map((c) => new Money(c)),
)

// keys include ones that look like our tags, and __proto__
const key = fc.oneof(
  fc.string(),
  fc.constantFrom('$qc', '$type', 'value', '__proto__', 'constructor'),
)

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('array'),
    tie('object'),
    tie('map'),
    tie('set'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  // null-prototype objects come back as plain objects (documented), so they are not generated
  object: fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  map: fc.array(fc.tuple(fc.string(), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
  set: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }).map((e) => new Set(e)),
}))

describe('codec', () => {
  it('round-trips random nested values of every supported type exactly', () => {
    fc.assert(
      fc.property(value, (v) => {
        const back = roundTrip(v)
        // node's strict deep equality compares prototypes, -0 vs 0 and Buffer vs Uint8Array
        expectExact(back, v)
        assertSameTypes(back, v)
      }),
      { numRuns: 500 },
    )
  })

  it('round-trips JSON that mimics the codec tags as plain JSON', () => {
    const mimic = fc.oneof(
      fc.constant({ $qc: ['D', 0] }),
      fc.constant({ $qc: ['u', 0] }),
      fc.constant({ $qc: ['x:Money', '5'] }),
      fc.constant({ $qc: 'not even an array' }),
      fc.constant({ $type: 'Date', value: '2020-01-01' }),
      fc.jsonValue().map((j) => ({ $qc: j })),
      fc.jsonValue().map((j) => ({ $qc: [j, j], other: j })),
    )
    fc.assert(
      fc.property(fc.oneof(mimic, fc.array(mimic), fc.jsonValue()), (j) => {
        expectExact(roundTrip(j), j)
      }),
      { numRuns: 300 },
    )
  })

  it('keeps Buffer and Uint8Array apart, and undefined apart from null', () => {
    const back = roundTrip({
      b: Buffer.from('hi'),
      u: new Uint8Array([1, 2]),
      n: null,
      x: undefined,
      a: [undefined, null],
    }) as Record<string, unknown>
    expect(Buffer.isBuffer(back.b)).toBe(true)
    expect(Buffer.isBuffer(back.u)).toBe(false)
    expect(back.u).toBeInstanceOf(Uint8Array)
    expect(back).toHaveProperty('x', undefined)
    expect(back.n).toBeNull()
    expect(back.a).toStrictEqual([undefined, null])
  })

  it('round-trips through the cache, each hit a fresh copy', async () => {
    const cache = createQueryCache({ types: [moneyType] })
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        await cache.set('v', v)
        expectExact(await cache.get('v'), v)
      }),
      { numRuns: 100 },
    )
  })

  it('serves entries kept decoded as exact, independent copies (keepDecoded)', async () => {
    // the 1st read parses, the 2nd keeps the entry decoded, later ones copy it
    const cache = createQueryCache({ types: [moneyType] })
    let n = 0
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const key = `kept:${n++}`
        await cache.set(key, { v })
        for (let read = 0; read < 4; read++) {
          const back = (await cache.get<{ v: unknown }>(key))!
          expectExact(back.v, v, `read ${read}`)
          assertSameTypes(back.v, v)
          // whatever a caller does to its copy, the next read is as stored
          ;(back as Record<string, unknown>).v = 'mutated'
        }
      }),
      { numRuns: 150 },
    )
  })

  it('copies kept values of registered types deeply, and keeps subclasses of built-ins', async () => {
    class Vec {
      constructor(readonly items: number[]) {}
    }
    class Day extends Date {}
    const types = [
      // encode hands out the value's own array: a copy must not share it
      {
        name: 'Vec',
        test: (v: unknown): v is Vec => v instanceof Vec,
        encode: (v: Vec) => v.items,
        decode: (a: number[]) => new Vec(a),
      },
      {
        name: 'Day',
        test: (v: unknown): v is Day => v instanceof Day,
        encode: (d: Day) => d.getTime(),
        decode: (t: number) => new Day(t),
      },
    ]
    const cache = createQueryCache({ types })
    await cache.set('k', { v: new Vec([1]), d: new Day(5) })
    for (let read = 0; read < 4; read++) {
      const got = (await cache.get<{ v: Vec; d: Day }>('k'))!
      expect(got.v.items, `read ${read}`).toEqual([1])
      expect(got.d, `read ${read}`).toBeInstanceOf(Day)
      got.v.items.push(2)
    }
  })

  it('reads an entry kept decoded afresh once the store holds new text for it', async () => {
    const cache = createQueryCache()
    await cache.set('k', { at: new Date(1), n: 1n })
    for (let i = 0; i < 3; i++) expect(await cache.get('k')).toEqual({ at: new Date(1), n: 1n })
    await cache.set('k', { at: new Date(2), n: 2n })
    expect(await cache.get('k')).toEqual({ at: new Date(2), n: 2n })
    const a = (await cache.get<{ at: Date }>('k'))!
    a.at.setTime(99)
    expect(await cache.get('k')).toEqual({ at: new Date(2), n: 2n })
    expect(() => createQueryCache({ keepDecoded: { entries: 0 } })).toThrow(/keepDecoded.entries/)
    expect(() => createQueryCache({ keepDecoded: 'yes' as never })).toThrow(/keepDecoded must be/)
  })

  it.each([
    ['a function', { f: () => 1 }],
    ['a symbol', [Symbol('s')]],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {}
        o.self = o
        return o
      })(),
    ],
    [
      'an unregistered class',
      {
        at: new (class Point {
          x = 1
        })(),
      },
    ],
  ])('refuses %s with a CodecError that says what to do', (_, bad) => {
    expect(() => codec.encode(bad)).toThrow(CodecError)
  })

  it('caches nothing it cannot encode, reports it, and still returns the value', async () => {
    const errors: string[] = []
    const cache = createQueryCache({
      onError: (e, ctx) => errors.push(`${e.code}:${ctx.operation}`),
    })
    const fn = () => ({
      at: new (class Point {
        x = 1
      })(),
    })
    const first = await cache.getOrSet('p', fn)
    expect(first.at.x).toBe(1)
    expect(await cache.get('p')).toBeUndefined()
    expect(errors).toEqual(['QC_CODEC:encode'])
    expect(cache.stats().skipped).toBe(1)
  })

  it('rejects a second type under a taken name', () => {
    expect(() => new Codec().register(moneyType).register({ ...moneyType })).toThrow(
      /already registered/,
    )
  })
})

/**
 * Equal in value and type (node's strict deep equality: -0 is not 0, a Buffer not a Uint8Array,
 * undefined not a missing key, prototypes compared), where two invalid Dates are equal: Node 20's
 * isDeepStrictEqual calls them unequal (NaN !== NaN). vitest's toStrictEqual is no substitute: it
 * takes an own `constructor` key for the object's class.
 */
function expectExact(actual: unknown, expected: unknown, message?: string): void {
  expect(isDeepStrictEqual(comparable(actual), comparable(expected)), message).toBe(true)
}

class InvalidDate {}

/** `v` with each invalid Date replaced by an InvalidDate, containers rebuilt alike. */
function comparable(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? new InvalidDate() : v
  const proto = Object.getPrototypeOf(v)
  // only the built-ins themselves are rebuilt: a subclass stays as it is, its class compared
  if (proto === Map.prototype)
    return new Map(
      [...(v as Map<unknown, unknown>)].map(([k, x]) => [comparable(k), comparable(x)]),
    )
  if (proto === Set.prototype) return new Set([...(v as Set<unknown>)].map(comparable))
  if (proto === Array.prototype) return (v as unknown[]).map(comparable)
  if (proto !== Object.prototype && proto !== null) return v
  const out = Object.create(proto) as object
  for (const k of Object.keys(v)) {
    Object.defineProperty(out, k, {
      value: comparable((v as Record<string, unknown>)[k]),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

function assertSameTypes(a: unknown, b: unknown): void {
  expect(Object.prototype.toString.call(a)).toBe(Object.prototype.toString.call(b))
  if (a !== null && typeof a === 'object')
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b))
  if (a instanceof Money) expect(b).toBeInstanceOf(Money)
  if (Buffer.isBuffer(b)) expect(Buffer.isBuffer(a)).toBe(true)
  if (Array.isArray(a)) {
    for (let i = 0; i < a.length; i++) assertSameTypes(a[i], (b as unknown[])[i])
  } else if (a && typeof a === 'object' && !(a instanceof Map) && !(a instanceof Set)) {
    for (const k of Object.keys(a))
      assertSameTypes((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  }
}
