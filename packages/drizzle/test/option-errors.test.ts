// A wrong `$withCache` option reads as an error about querycache's options, not Drizzle's.
import { fileURLToPath } from 'node:url'
import { expectedTypeErrors } from '@querycache/testing/type-errors'
import { describe, expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./option-errors.check.ts', import.meta.url))
const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url))

describe('a wrong $withCache option (Drizzle 0.45)', () => {
  const { errors, expectations, at } = expectedTypeErrors(fixture, tsconfig)

  it.each([
    ['pg select: unknown option', "'tll' does not exist in type 'QueryCacheCallOptions'"],
    [
      'pg select after where: ttl is seconds or null',
      "Type 'string' is not assignable to type 'number'",
    ],
    [
      'pg dynamic select: tags is a list',
      "Type 'string' is not assignable to type 'readonly string[]'",
    ],
    ['pg relational query: unknown option', "'tll' does not exist in type 'QueryCacheCallOptions'"],
    ['pg $count: unknown option', "'tll' does not exist in type 'QueryCacheCallOptions'"],
    ['mysql select: unknown option', "'tll' does not exist in type 'QueryCacheCallOptions'"],
    [
      'mysql select after orderBy: ttl is seconds or null',
      "Type 'string' is not assignable to type 'number'",
    ],
    [
      'sqlite relational query: unknown option',
      "'tll' does not exist in type 'QueryCacheCallOptions'",
    ],
  ])('%s: one error, about querycache’s options only', (what, says) => {
    const found = at(what)
    expect(found, JSON.stringify(errors, null, 1)).toHaveLength(1)
    expect(found[0]?.message).toContain(says)
    expect(found[0]?.message).not.toMatch(/No overload|autoInvalidate\?: boolean/)
  })

  it('sqlite select: Drizzle declares its own $withCache on the same class, so querycache’s overload is listed first', () => {
    const [found, ...more] = at(
      'sqlite select: unknown option (Drizzle declares its own on the same class)',
    )
    expect(more).toEqual([])
    const lines = found?.message.split('\n') ?? []
    expect(lines[0]).toBe('No overload matches this call.')
    expect(lines[1]).toMatch(/^ {2}Overload 1 of 2, '\(options: false \| QueryCacheCallOptions\)/)
    expect(lines[2]).toContain("'tll' does not exist in type 'QueryCacheCallOptions'")
  })

  it('every expectation in the fixture is checked', () => {
    expect(expectations.size).toBe(9)
    expect(errors.map((e) => e.line).sort((a, b) => a - b)).toEqual(
      [...expectations.values()].sort((a, b) => a - b),
    )
  })
})
