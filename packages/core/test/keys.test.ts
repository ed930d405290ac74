import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CacheOptionError, generateQueryCacheKey, stableStringify } from '../src/index.js'
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

describe('stableStringify', () => {
  // keys are stored (in Redis, across deploys): the same query must keep its key in v1
  it('gives the keys v1 has always given', () => {
    class DbNull {}
    const deep = (n: number) => {
      let v: unknown = { leaf: 'x' }
      for (let i = 0; i < n; i++) v = i % 2 ? { [`k${i}`]: v } : [v, i]
      return v
    }
    const inputs = [
      { model: 'Post', operation: 'findUnique', args: { where: { id: 42 } }, omit: undefined },
      {
        model: 'Post',
        operation: 'findMany',
        args: {
          where: {
            title: { contains: 'a "quoted"\\ path\n' },
            published: true,
            authorId: { in: [1, 2n, -0] },
          },
          include: { author: true },
          orderBy: [{ id: 'asc' }],
          take: 20,
        },
      },
      {
        sql: 'select * from "posts" where "id" = $1',
        params: [
          new Date(0),
          Buffer.from('hi'),
          null,
          Number.POSITIVE_INFINITY,
          'ünïcødé \u2028',
          { 'a-b.c': 1, '': 2, é: 3 },
        ],
      },
      {
        where: {
          metadata: new DbNull(),
          m: new Map([
            ['b', 1],
            ['a', 2],
          ]),
          s: new Set([3, 1]),
        },
      },
      deep(150),
    ]
    // computed by the implementation before its first pass stopped tracking ancestors
    expect(inputs.map(generateQueryCacheKey)).toEqual([
      'query:JT_zEOZnwUP61FD5RkUWoPY5Ib78OU1IyA5imTSaB7I:v1',
      'query:TQ8yuiWdAEbcRH2Nt67_dAenVwvhWs_bCKqWMk5RRus:v1',
      'query:9gUa7QiEwPgks4oZJufCSu9IXLwompSHfSzbQhB12es:v1',
      'query:wTOI44e9kM9h5sgSz_y2oc8VjybC--xYQ0_rE2MGvrw:v1',
      'query:G8UvNyUFE-o3Dv7TBGNPfGVLz8lHC6gV_ZSKr2hrJAk:v1',
    ])
  })

  it('writes every string and object key exactly as JSON does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (text, key) => {
        fc.pre(key !== '__proto__')
        expect(stableStringify(text)).toBe(JSON.stringify(text))
        expect(stableStringify({ [key]: text })).toBe(
          `{${JSON.stringify(key)}:${JSON.stringify(text)}}`,
        )
      }),
      { numRuns: 2000 },
    )
  })

  it('writes values nested far deeper than any query, and rejects a cycle at any depth', () => {
    let nested: unknown = []
    for (let i = 0; i < 300; i++) nested = [nested]
    expect(stableStringify(nested)).toBe(`${'['.repeat(301)}${']'.repeat(301)}`)
    for (const depth of [0, 1, 63, 64, 65, 200]) {
      const root: Record<string, unknown> = {}
      let at = root
      for (let i = 0; i < depth; i++) {
        const next: Record<string, unknown> = {}
        at.next = next
        at = next
      }
      at.back = root
      expect(() => stableStringify({ where: root }), `cycle at depth ${depth}`).toThrow(
        CacheOptionError,
      )
      expect(() => stableStringify(root)).toThrow(/cyclic/)
    }
  })

  it('a value shared by two branches is no cycle', () => {
    const shared = { id: 1 }
    expect(stableStringify({ a: shared, b: [shared, shared] })).toBe(
      '{"a":{"id":1},"b":[{"id":1},{"id":1}]}',
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
