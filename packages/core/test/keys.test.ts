import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateQueryCacheKey } from '../src/index.js'

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
