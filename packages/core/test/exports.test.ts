import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// Run from another workspace package, resolving @querycache/core the way a user's code does.
const consumer = join(import.meta.dirname, '..', '..', 'drizzle')
const node = (args: string[]) =>
  execFileSync(process.execPath, args, {
    cwd: consumer,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim()

describe('package exports', () => {
  it('works with require() (CJS build)', () => {
    const out = node([
      '-e',
      "const c = require('@querycache/core'); console.log(typeof c.createQueryCache, c.generateQueryCacheKey({ a: 1 }).slice(0, 6))",
    ])
    expect(out).toBe('function query:')
  })

  it('works with import (ESM build)', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import { createQueryCache, memoryStore } from '@querycache/core'; const c = createQueryCache({ store: memoryStore() }); await c.set('k', new Date(0)); console.log((await c.get('k')).toISOString())",
    ])
    expect(out).toBe('1970-01-01T00:00:00.000Z')
  })

  it('has the adapter kit and the store contract suite as entries of their own', () => {
    const out = node([
      '-e',
      "const a = require('@querycache/core/adapter'); const root = require('@querycache/core'); console.log(typeof a.Dependencies, typeof a.sqlWrites, typeof root.sqlWrites)",
    ])
    expect(out).toBe('function function undefined')
    // the contract suite runs inside vitest; outside it, its module still resolves and exports it
    const contract = node([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; console.log(createRequire(process.cwd() + '/').resolve('@querycache/core/store-contract').endsWith('store-contract.cjs'))",
    ])
    expect(contract).toBe('true')
  })

  it('keeps internals private', () => {
    expect(() => node(['-e', "require('@querycache/core/dist/cache.js')"])).toThrow()
  })
})
