// A wrong `$withCache` option on Drizzle 1.0 reads as an error about querycache's options alone:
// the async builders a db returns carry querycache's `$withCache`, which hides Drizzle's.
import { fileURLToPath } from 'node:url'
import { expectedTypeErrors } from '@querycache/testing/type-errors'
import { describe, expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./option-errors.ts', import.meta.url))
const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url))

describe('a wrong $withCache option (Drizzle 1.0)', () => {
  const { errors, expectations, at } = expectedTypeErrors(fixture, tsconfig)

  it.each([
    ['sqlite select: unknown option', "'tll' does not exist in type 'QueryCacheCallOptions'"],
    [
      'sqlite select after where: ttl is seconds or null',
      "Type 'string' is not assignable to type 'number'",
    ],
    [
      'sqlite relational query: unknown option',
      "'tll' does not exist in type 'QueryCacheCallOptions'",
    ],
    ['pg select: unknown option', "'tll' does not exist in type 'QueryCacheCallOptions'"],
    [
      'pg select after orderBy: tags is a list',
      "Type 'string' is not assignable to type 'readonly string[]'",
    ],
    ['mysql select: unknown option', "'tll' does not exist in type 'QueryCacheCallOptions'"],
    ['mysql $count: ttl is seconds or null', "Type 'string' is not assignable to type 'number'"],
  ])('%s: one error, about querycache’s options only', (what, says) => {
    const found = at(what)
    expect(found, JSON.stringify(errors, null, 1)).toHaveLength(1)
    expect(found[0]?.message).toContain(says)
    expect(found[0]?.message).not.toMatch(/No overload|autoInvalidate\?: boolean/)
  })

  it('every expectation in the fixture is checked', () => {
    expect(expectations.size).toBe(7)
    expect(errors.map((e) => e.line).sort((a, b) => a - b)).toEqual(
      [...expectations.values()].sort((a, b) => a - b),
    )
  })
})
