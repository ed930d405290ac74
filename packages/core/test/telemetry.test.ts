// Telemetry: events on node:diagnostics_channel for every read, set, invalidation and error,
// keys only when asked for, and the Prometheus / OpenTelemetry example (examples/metrics.ts) fed
// by them, on a real Redis.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { redisAdapter, uniqueNamespace } from '@querycache/testing/redis'
import { Registry } from 'prom-client'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cacheAttributes, querycacheMetrics } from '../examples/metrics.js'
import {
  CacheOptionError,
  createQueryCache,
  defineStore,
  type QueryCache,
  type QueryCacheOptions,
  type ReadEvent,
  TELEMETRY_CHANNELS,
} from '../src/index.js'

const caches: QueryCache[] = []
afterAll(async () => {
  for (const c of caches) await c.close()
})

const listeners: [string, (m: unknown) => void][] = []
afterEach(() => {
  for (const [name, fn] of listeners.splice(0)) unsubscribe(name, fn)
})

/** Every event of this namespace, as [channel, event]. */
function record(namespace: string): [string, Record<string, unknown>][] {
  const seen: [string, Record<string, unknown>][] = []
  for (const [kind, name] of Object.entries(TELEMETRY_CHANNELS)) {
    const fn = (m: unknown) => {
      const e = m as Record<string, unknown>
      if (e.namespace === namespace) seen.push([kind, e])
    }
    subscribe(name, fn)
    listeners.push([name, fn])
  }
  return seen
}

function open(options: QueryCacheOptions = {}) {
  const namespace = uniqueNamespace('telemetry')
  const cache = createQueryCache({ store: redisAdapter(), namespace, ttl: 30, ...options })
  caches.push(cache)
  return { cache, namespace, events: record(namespace) }
}

describe('telemetry on diagnostics_channel', () => {
  it('publishes reads, sets and invalidations, without keys by default', async () => {
    const { cache, namespace, events } = open()
    const load = async () => [{ id: 1 }]
    await cache.getOrSet('user:42@example.com', load, { models: ['Post'] })
    await cache.getOrSet('user:42@example.com', load, { models: ['Post'] })
    await cache.invalidateModels(['Post'])
    await cache.invalidateTags(['home'])
    await cache.get('user:42@example.com')
    await cache.set('page', 'x')
    await cache.delete('page')
    await cache.deletePattern('user:*')
    await cache.clear()
    // the entry is written behind the miss's result: its set is published after the read
    expect(events.map(([kind, e]) => `${kind}:${e.result ?? e.kind ?? ''}`)).toEqual([
      'read:miss',
      'set:',
      'read:hit',
      'invalidate:models',
      'invalidate:tags',
      'read:miss',
      'set:',
      'invalidate:delete',
      'invalidate:pattern',
      'invalidate:clear',
    ])
    const [, set] = events[1]!
    expect(set).toMatchObject({ namespace, model: 'Post', ttl: 30 })
    expect(set.itemSize).toBeGreaterThan(10)
    const [, hit] = events[2]!
    expect(hit).toMatchObject({ namespace, result: 'hit', model: 'Post' })
    expect(hit.durationMs).toBeGreaterThanOrEqual(0)
    expect(events[3]![1]).toMatchObject({ models: ['Post'], tags: [] })
    // keys can hold personal data: none in any event unless asked for
    expect(JSON.stringify(events)).not.toContain('42@example.com')
    for (const [, e] of events) expect(e).not.toHaveProperty('key')
  })

  it('with telemetry: { keys: true } events carry the key; errors are published', async () => {
    const { cache, events } = open({ telemetry: { keys: true } })
    await cache.getOrSet('user:7', async () => 1)
    expect(events.find(([k]) => k === 'read')![1]).toMatchObject({ key: 'user:7', result: 'miss' })
    const broken = createQueryCache({
      namespace: 'telemetry-broken',
      store: defineStore({
        name: 'broken',
        async get() {
          throw new Error('down')
        },
        async getMany() {
          throw new Error('down')
        },
        async set() {},
        async deleteMany() {},
      }),
      onError: () => {},
    })
    caches.push(broken)
    const brokenEvents = record('telemetry-broken')
    expect(await broken.getOrSet('q', async () => 'from the database')).toBe('from the database')
    expect(brokenEvents.map(([k]) => k)).toContain('error')
    expect(brokenEvents.find(([k]) => k === 'error')![1]).toMatchObject({
      code: 'QC_STORE_FAILED',
      operation: 'get',
    })
    expect(() => createQueryCache({ telemetry: { keys: 'yes' as never } })).toThrow(
      CacheOptionError,
    )
  })

  it('the Prometheus example counts what happened; the OpenTelemetry attributes follow cache.*', async () => {
    const registry = new Registry()
    const stop = querycacheMetrics(registry)
    try {
      const { cache, namespace } = open({ telemetry: { keys: true } })
      const load = async () => ({ id: 1, title: 'x'.repeat(100) })
      await cache.getOrSet('post:1', load, { models: ['Post'] })
      await cache.getOrSet('post:1', load, { models: ['Post'] })
      await cache.getOrSet('post:1', load, { models: ['Post'] })
      await cache.invalidateModel('Post')
      const text = await registry.metrics()
      expect(text).toContain(
        `querycache_reads_total{namespace="${namespace}",model="Post",result="hit"} 2`,
      )
      expect(text).toContain(
        `querycache_reads_total{namespace="${namespace}",model="Post",result="miss"} 1`,
      )
      expect(text).toContain(`querycache_item_size_count{namespace="${namespace}"} 1`)
      expect(text).toContain(
        `querycache_invalidations_total{namespace="${namespace}",kind="models"} 1`,
      )
      expect(text).toMatch(
        new RegExp(
          `querycache_read_duration_seconds_count\\{namespace="${namespace}",result="hit"\\} 2`,
        ),
      )
      const hit: ReadEvent = {
        namespace,
        key: 'post:1',
        result: 'hit',
        model: 'Post',
        durationMs: 1,
      }
      expect(cacheAttributes(hit)).toEqual({
        'cache.hit': true,
        'cache.key': 'post:1',
        'querycache.result': 'hit',
        'querycache.namespace': namespace,
        'querycache.model': 'Post',
      })
      const { key: _, ...keyless } = hit
      expect(cacheAttributes({ ...keyless, result: 'miss' })).toEqual({
        'cache.hit': false,
        'querycache.result': 'miss',
        'querycache.namespace': namespace,
        'querycache.model': 'Post',
      })
    } finally {
      stop()
    }
  })
})
