// Every read–write–read case of invalidation.test.ts, on a real local Redis Cluster (3 masters, 1
// replica each; vitest.config.ts starts it): what holds on one Redis holds on a cluster.
import type KeyvRedis from '@keyv/redis'
import { clusterAdapter, clusterClient } from '@querycache/testing/shared-cluster'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { postgresRaw, raw, readDependencies, writes } from './support/cases.js'
import { expectFreshAfter } from './support/check.js'
import { openBlog, uniqueNamespace } from './support/fixtures.js'

let adapter: KeyvRedis<string>
beforeAll(async () => {
  adapter = clusterAdapter()
  // connected before the first test, as an application connects at start-up: the first read
  // must not spend its timeoutMs discovering the cluster
  await clusterClient(adapter)
})
afterAll(() => adapter.disconnect())

const open = () =>
  openBlog('postgresql', {
    // every test's cache shares the file's adapter, which afterAll disconnects
    cache: { store: adapter, closeStore: false, namespace: uniqueNamespace('cluster') },
  })

describe('postgresql on a Redis Cluster', () => {
  test.each([...readDependencies, ...writes, ...raw, ...postgresRaw])(
    '%s',
    async (_, read, write) => {
      const blog = await open()
      await expectFreshAfter(blog, read, () => write(blog))
      expect(blog.cache.store.name).toBe('redis-cluster')
      expect(blog.cache.stats().errors).toBe(0)
    },
  )
})
