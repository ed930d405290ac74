import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateQueryCacheKey } from '../src/index.js'
import { KeyLayout, queryKeyTemplate } from '../src/keys.js'

const shuffleKeys = (o: unknown): unknown => {
  if (Array.isArray(o)) return o.map(shuffleKeys)
  if (o && typeof o === 'object' && Object.getPrototypeOf(o) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(o)
        .reverse()
        .map(([k, v]) => [k, shuffleKeys(v)]),
    )
  }
  return o
}

describe('generateQueryCacheKey', () => {
  it('has the documented shape', () => {
    expect(generateQueryCacheKey({ model: 'Article', operation: 'findMany', args: {} })).toMatch(
      /^query:[A-Za-z0-9_-]{43}:v1$/,
    )
  })

  it('is equal for equal queries whatever the object key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        expect(generateQueryCacheKey(shuffleKeys(j))).toBe(generateQueryCacheKey(j))
      }),
    )
  })

  it('differs for any difference in model, operation, arguments or params', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(
          JSON.stringify(shuffleKeys(a)) !== JSON.stringify(shuffleKeys(b)) &&
            JSON.stringify(a) !== JSON.stringify(b),
        )
        expect(generateQueryCacheKey({ args: a })).not.toBe(generateQueryCacheKey({ args: b }))
      }),
    )
    const base = { model: 'Article', operation: 'findMany', args: { where: { id: 1 } } }
    const keys = [
      base,
      { ...base, model: 'Author' },
      { ...base, operation: 'findFirst' },
      { ...base, args: { where: { id: '1' } } },
      { ...base, args: { where: { id: 1n } } },
      { ...base, args: { where: { at: new Date(1) } } },
      { ...base, args: { where: { at: new Date(1).toISOString() } } },
      { sql: 'select 1', params: [1] },
      { sql: 'select 1', params: ['1'] },
      { sql: 'select 1', params: [Buffer.from('1')] },
    ].map(generateQueryCacheKey)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('treats an undefined property as absent, as the ORMs do', () => {
    expect(generateQueryCacheKey({ where: { id: 1, name: undefined } })).toBe(
      generateQueryCacheKey({ where: { id: 1 } }),
    )
  })
})

it('class instances without toJSON and without properties do not share a key', () => {
  class DbNull {}
  class JsonNull {}
  const a = generateQueryCacheKey({ where: { metadata: new DbNull() } })
  const b = generateQueryCacheKey({ where: { metadata: new JsonNull() } })
  const c = generateQueryCacheKey({ where: { metadata: {} } })
  expect(new Set([a, b, c]).size).toBe(3)
})

describe('queryKeyTemplate', () => {
  const value = fc.oneof(
    fc.jsonValue(),
    fc.bigInt().map((n) => [n]),
    fc.date({ noInvalidDate: true }).map((d) => ({ at: d })),
  )
  it('gives exactly the key generateQueryCacheKey gives for the same input', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((k) => k !== 'params' && k !== 'scope' && k !== '__proto__'),
          fc.option(value, { nil: undefined }),
        ),
        fc.option(value, { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        (fixed, params, scope) => {
          expect(queryKeyTemplate(fixed)(params, scope)).toBe(
            generateQueryCacheKey({ ...fixed, params, scope }),
          )
        },
      ),
    )
  })
  it('one template called again and again (its recent keys remembered) keeps giving those keys', () => {
    const fixed = { orm: 'drizzle', sql: 'select * from t where a = $1' }
    const key = queryKeyTemplate(fixed)
    // scopes and params chosen so that what varies could run together: "s1:a" + "[1]" vs "s1:a[" ...
    const scope = fc.option(fc.constantFrom('a', 'a[', '1', 's1:a', ''), { nil: undefined })
    const params = fc.option(fc.oneof(value, fc.constantFrom('[1]', '1', 'a')), { nil: undefined })
    fc.assert(
      fc.property(fc.array(fc.tuple(params, scope), { minLength: 1, maxLength: 200 }), (calls) => {
        for (const [p, sc] of calls)
          expect(key(p, sc)).toBe(generateQueryCacheKey({ ...fixed, params: p, scope: sc }))
      }),
    )
  })
  it('writes each call its own params and scope', () => {
    const key = queryKeyTemplate({ orm: 'drizzle', sql: 'select 1 where id = $1' })
    expect(new Set([key([1], undefined), key([2], undefined), key([1], 'a')]).size).toBe(3)
    expect(key([1], undefined)).toBe(key([1], undefined))
  })
  it('refuses a fixed part that names what varies', () => {
    expect(() => queryKeyTemplate({ params: [] })).toThrow(/params and scope vary per call/)
  })
})

describe('KeyLayout.locate', () => {
  it('gives a key the same location when remembered, forgotten or computed anew', () => {
    const layout = new KeyLayout('qc', 1, 16)
    const keys = Array.from({ length: 5000 }, (_, i) => `query:k${i}:v1`)
    const first = keys.map((k) => layout.locate(k))
    // past its bound the memory is emptied; locations are computed again, the same
    const again = keys.map((k) => layout.locate(k))
    const fresh = keys.map((k) => new KeyLayout('qc', 1, 16).locate(k))
    expect(again).toEqual(first)
    expect(fresh).toEqual(first)
    expect(new Set(first.map((l) => l.group)).size).toBe(16)
  })
})
