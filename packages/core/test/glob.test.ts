// deletePattern follows Redis glob semantics exactly: a real Redis KEYS is the oracle.
import { randomUUID } from 'node:crypto'
import { redisAdapter } from '@querycache/testing/redis'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileGlob } from '../src/glob.js'
import { createQueryCache, memoryStore } from '../src/index.js'

const adapter = redisAdapter()
let redis: Awaited<ReturnType<typeof adapter.getClient>>
// one logical-prefix per run; the prefix holds no glob metacharacters, so it cannot change a match
const prefix = `qcglob${randomUUID().replaceAll('-', '')}:`

beforeAll(async () => {
  redis = await adapter.getClient()
})
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
  await adapter.disconnect()
})

/** What Redis's own KEYS matches among `keys`, for `pattern`. */
async function redisMatches(pattern: string, keys: readonly string[]): Promise<string[]> {
  const space = `${prefix}${randomUUID().slice(0, 8)}:`
  await redis.mSet(keys.map((k) => [space + k, '1'] as [string, string]))
  try {
    const found = await redis.keys(space + pattern)
    return found.map((k) => k.slice(space.length)).sort()
  } finally {
    await redis.del(keys.map((k) => space + k))
  }
}

const ours = (pattern: string, keys: readonly string[]) => keys.filter(compileGlob(pattern)).sort()

const KEYS = [
  'a',
  'a!',
  'ax',
  'ay',
  'a]',
  'a[',
  'a\\',
  'a^',
  'a-',
  'ab',
  'ac',
  'ad',
  'ae',
  'a*',
  'a[]',
  'hello',
  'hallo',
  'hxllo',
  'heello',
  'hllo',
  'xab',
  'aXb',
  'ab c',
  'b',
  'é',
  'aé',
  '[',
  'aA',
  'a~',
  'a😀',
  '[a',
]
const PATTERNS = [
  'a[!]',
  'a[!x]',
  'a[\\]]',
  '[^x]',
  'a[^x]',
  'a[b-d]',
  'a[d-b]',
  'a[]',
  'a[',
  'a[b',
  'a\\*',
  'a\\',
  'a*',
  '*a*b*',
  '*b',
  'h?llo',
  'h*llo',
  'h[ae]llo',
  'h[^e]llo',
  'a[a-]',
  'a[-a]',
  'a[\\-]',
  'a?',
  'a??',
  'a?*',
  '?',
  '??',
  'a[^]',
  'a[]]',
  'a[]-]',
  '\\a',
  '[\\',
  'a[\\',
  '*',
  '**a',
  'a**',
  'a[é]',
  'a[^é]',
  'a[à-ê]',
  '[é-a',
  'a[a-é]',
]

describe('Redis glob semantics (KEYS as the oracle)', () => {
  it.each(PATTERNS)('%s selects exactly what Redis KEYS selects', async (pattern) => {
    expect(ours(pattern, KEYS)).toEqual(await redisMatches(pattern, KEYS))
  })

  it('a[!] matches only "a!": Redis has no ! negation', () => {
    expect(ours('a[!]', KEYS)).toEqual(['a!'])
  })

  it('random patterns over glob metacharacters agree with Redis', async () => {
    const alphabet = ['a', 'b', ']', '!', '[', '^', '-', '\\', '*', '?', 'é']
    const text = (max: number) =>
      fc
        .array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: max })
        .map((a) => a.join(''))
    await fc.assert(
      fc.asyncProperty(
        text(6),
        fc.uniqueArray(text(4), { minLength: 1, maxLength: 12 }),
        async (pattern, keys) => {
          expect(ours(pattern, keys)).toEqual(await redisMatches(pattern, keys))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('deletePattern deletes exactly what Redis KEYS matches', () => {
  const stores = {
    memory: () => memoryStore(),
    redis: () => redisAdapter(),
  }
  for (const [name, make] of Object.entries(stores)) {
    it.each(['a[!]', 'a[\\]]', 'a[^x]', 'a[d-b]', 'h?llo', 'a[é]'])(
      `${name}: %s`,
      async (pattern) => {
        const store = make()
        const cache = createQueryCache({ store, namespace: `glob-${randomUUID().slice(0, 8)}` })
        try {
          for (const k of KEYS) await cache.set(k, k)
          const expected = await redisMatches(pattern, KEYS)
          expect(await cache.deletePattern(pattern)).toBe(expected.length)
          const left: string[] = []
          for (const k of KEYS) if ((await cache.get(k)) !== undefined) left.push(k)
          expect(left.sort()).toEqual(KEYS.filter((k) => !expected.includes(k)).sort())
        } finally {
          await cache.clear()
          await cache.close()
          if ('disconnect' in store) await store.disconnect()
        }
      },
    )
  }
})
