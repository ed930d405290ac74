// A script that uses querycache ends by itself once it closes its cache, with each documented
// store: nothing querycache or the store it was handed opened keeps the process alive.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { REDIS_URL, uniqueNamespace } from '@querycache/testing/redis'
import { sharedClusterNodes } from '@querycache/testing/shared-cluster'
import { describe, expect, it } from 'vitest'
import { createQueryCache } from '../src/index.js'

const here = fileURLToPath(new URL('..', import.meta.url))

/** Runs an ES module script from the package folder; resolves with its exit code, or 'running' if it had not exited after `ms`. */
function run(script: string, ms = 10_000): Promise<number | 'running'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: here,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve('running')
    }, ms)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve(code ?? -1)
    })
  })
}

const work = `
let calls = 0
const read = () => cache.getOrSet('k', () => ++calls, { models: ['User'] })
await read(); await read()
await cache.invalidateModel('User')
await read()
if (calls !== 2 || cache.stats().hits !== 1) throw new Error('not cached: ' + JSON.stringify(cache.stats()))
await cache.close()
`

const setups: [string, string][] = [
  ['the default memory store', `const cache = createQueryCache({ namespace: NS })`],
  [
    'KeyvRedis (one Redis)',
    `const cache = createQueryCache({ namespace: NS, store: new KeyvRedis(${JSON.stringify(REDIS_URL)}) })`,
  ],
  [
    'a Keyv over KeyvRedis',
    `const cache = createQueryCache({ namespace: NS, store: new Keyv({ store: new KeyvRedis(${JSON.stringify(REDIS_URL)}) }) })`,
  ],
  [
    'KeyvRedis over a Redis Cluster',
    `const cache = createQueryCache({ namespace: NS, timeoutMs: CLUSTER_TIMEOUT, store: new KeyvRedis(createCluster({ rootNodes: ROOT_NODES })) })`,
  ],
  [
    'KeyvRedis and the near cache (its subscription and heartbeats)',
    `const cache = createQueryCache({ namespace: NS, store: new KeyvRedis(${JSON.stringify(REDIS_URL)}), nearCache: true })`,
  ],
  [
    'a Redis Cluster and the near cache',
    `const cache = createQueryCache({ namespace: NS, timeoutMs: CLUSTER_TIMEOUT, store: new KeyvRedis(createCluster({ rootNodes: ROOT_NODES })), nearCache: true })`,
  ],
]

// a namespace of each script's own: the scripts share one Redis with each other and other tests
const imports = () => `
const NS = ${JSON.stringify(uniqueNamespace('lifecycle'))}
// a new process's first commands on a cluster also connect it (slot map, the near cache's pub/sub
// node); under the suite's load they have taken over the default 200 ms, and the script then
// bypasses the store (correctly), which would leave this test's caching check moot
const CLUSTER_TIMEOUT = 2000
import { createQueryCache } from '@querycache/core'
import KeyvRedis, { createCluster } from '@keyv/redis'
import { Keyv } from 'keyv'
`

describe('a script exits by itself after cache.close()', () => {
  it.each(setups)('with %s', async (_, setup) => {
    const script = `${imports()}const ROOT_NODES = ${JSON.stringify(sharedClusterNodes())}\n${setup}\n${work}`
    expect(await run(script)).toBe(0)
  })

  it.each([
    ['', ''],
    [' and the near cache', ', nearCache: true'],
  ])('with Redis unreachable%s: close() returns (queued commands are dropped)', async (_, near) => {
    const script = `${imports()}const cache = createQueryCache({ namespace: NS, store: new KeyvRedis('redis://127.0.0.1:1'), timeoutMs: 50, retryAfterMs: 50${near} })
await cache.getOrSet('k', () => 1); await new Promise((r) => setTimeout(r, 100)); await cache.getOrSet('k', () => 1)
await cache.invalidateModel('User')
await cache.close()`
    expect(await run(script)).toBe(0)
  })

  it('with the near cache on a shared KeyvRedis (closeStore: false) that its owner disconnects', async () => {
    // the near cache's own connection follows the owner's client, without cache.close()
    const script = `${imports()}const adapter = new KeyvRedis(${JSON.stringify(REDIS_URL)})
const cache = createQueryCache({ namespace: NS, store: adapter, closeStore: false, nearCache: true })
for (let i = 0; !cache.stats().near.trusted; i++) { if (i > 300) throw new Error('never trusted'); await new Promise((r) => setTimeout(r, 10)) }
await cache.getOrSet('k', () => 1)
await adapter.disconnect()`
    expect(await run(script)).toBe(0)
  })

  it('but not when told the store is shared (closeStore: false): the test is not blind', async () => {
    const script = `${imports()}const cache = createQueryCache({ namespace: NS, store: new KeyvRedis(${JSON.stringify(REDIS_URL)}), closeStore: false })\n${work}`
    expect(await run(script, 3000)).toBe('running')
  })
})

it('closeStore must be a boolean', () => {
  expect(() => createQueryCache({ closeStore: 'no' as never })).toThrow(
    /closeStore must be true or false/,
  )
})
