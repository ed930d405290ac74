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

  it('keeps internals private', () => {
    expect(() => node(['-e', "require('@querycache/core/dist/cache.js')"])).toThrow()
  })
})
