/**
 * `@querycache/core/store-contract`: the suite every querycache store passes — the memory store,
 * Keyv stores and Redis are tested with it here. Store authors run it in their own vitest:
 *
 *   describeStoreContract('my store', () => ({ store, raw: { get, set, delete }, close }))
 *
 * Each test's name states a guarantee users rely on, whatever store holds the entries.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createQueryCache, type QueryCache, type QueryCacheOptions } from './cache.js'
import type { StoreDriver } from './stores/types.js'

/** What `make()` hands the suite: the store, raw access to what backs it, and a way to close it. */
export interface StoreUnderTest {
  /** A StoreDriver, a Keyv instance or a Keyv store adapter, as `createQueryCache({ store })` takes. */
  store: QueryCacheOptions['store']
  /** Raw access to the same backing store, to write foreign keys or tamper with ours. */
  raw: {
    get(key: string): Promise<string | undefined>
    set(key: string, value: string): Promise<void>
    delete(key: string): Promise<void>
  }
  close(): Promise<void>
}

/** A namespace no other test uses, so suites can share one server in parallel. */
const uniqueNamespace = (label: string) =>
  `contract-${label.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 30)}-${randomUUID().slice(0, 8)}`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * One suite every store passes: the behaviour users rely on must not depend on where entries live.
 * `make` is called once per test (and may be async); the suite closes what it made.
 */
export function describeStoreContract(
  name: string,
  make: () => StoreUnderTest | Promise<StoreUnderTest>,
  /** Options every cache of the suite gets (e.g. `{ nearCache: true }`). */
  cacheOptions: Omit<QueryCacheOptions, 'store'> = {},
): void {
  // a near cache sees changes made behind the library's back (not published) once its copies age out
  const near = cacheOptions.nearCache
  const nearMaxAgeMs = typeof near === 'object' ? (near.maxAge ?? 10) * 1000 : near ? 10_000 : 0
  const behindOurBack = () => (nearMaxAgeMs === 0 ? Promise.resolve() : sleep(nearMaxAgeMs + 20))

  describe(`store contract: ${name}`, () => {
    let opened: { cache: QueryCache; s: StoreUnderTest }[] = []

    async function setup(options: Omit<QueryCacheOptions, 'store'> = {}) {
      const s = await make()
      const cache = createQueryCache({
        namespace: uniqueNamespace(name),
        ...cacheOptions,
        ...options,
        store: s.store,
      })
      opened.push({ cache, s })
      // a near cache answers nothing until its channel is known to deliver
      for (let i = 0; cache.stats().near?.trusted === false && i < 300; i++) await sleep(10)
      return { cache, s }
    }

    afterEach(async () => {
      for (const { cache, s } of opened) {
        await cache.clear()
        await s.close()
      }
      opened = []
    })

    it('returns undefined for a key never set, and the value after set', async () => {
      const { cache } = await setup()
      expect(await cache.get('nothing')).toBeUndefined()
      expect(await cache.set('k', { a: 1, when: new Date(5), big: 9007199254740993n })).toBe(true)
      expect(await cache.get('k')).toEqual({ a: 1, when: new Date(5), big: 9007199254740993n })
    })

    it('stores null and false as values, distinct from a miss', async () => {
      const { cache } = await setup()
      await cache.set('null', null)
      await cache.set('false', false)
      expect(await cache.get('null')).toBeNull()
      expect(await cache.get('false')).toBe(false)
      let calls = 0
      expect(await cache.getOrSet('null', () => ++calls)).toBeNull()
      expect(calls).toBe(0)
    })

    it('getOrSet runs fn on a miss and serves the stored copy on the next call', async () => {
      const { cache } = await setup()
      let calls = 0
      const fn = async () => ({ n: ++calls })
      expect(await cache.getOrSet('q', fn, { models: ['Article'] })).toEqual({ n: 1 })
      expect(await cache.getOrSet('q', fn, { models: ['Article'] })).toEqual({ n: 1 })
      expect(calls).toBe(1)
      expect(cache.stats('Article')).toMatchObject({ hits: 1, misses: 1, hitRatio: 0.5 })
    })

    it('mutating a returned value does not change what the next hit returns', async () => {
      const { cache } = await setup()
      const first = await cache.getOrSet('rows', async () => [{ id: 1, tags: ['a'] }])
      first[0]!.tags.push('mutated')
      first.push({ id: 2, tags: [] })
      const hit = await cache.getOrSet('rows', async () => [] as { id: number; tags: string[] }[])
      expect(hit).toEqual([{ id: 1, tags: ['a'] }])
      hit[0]!.id = 99
      expect(await cache.get('rows')).toEqual([{ id: 1, tags: ['a'] }])
    })

    it('expires entries after their TTL (seconds)', async () => {
      const { cache } = await setup()
      await cache.set('short', 1, { ttl: 0.05 })
      await cache.set('forever', 2, { ttl: null })
      expect(await cache.get('short')).toBe(1)
      await sleep(80)
      expect(await cache.get('short')).toBeUndefined()
      expect(await cache.get('forever')).toBe(2)
    })

    it('serves an expired entry within swr once while one refresh runs', async () => {
      const { cache } = await setup()
      let version = 0
      const fn = async () => {
        await sleep(20)
        return ++version
      }
      expect(await cache.getOrSet('swr', fn, { ttl: 0.05, swr: 5 })).toBe(1)
      await sleep(70)
      const [a, b] = await Promise.all([
        cache.getOrSet('swr', fn, { ttl: 0.05, swr: 5 }),
        cache.getOrSet('swr', fn, { ttl: 0.05, swr: 5 }),
      ])
      expect([a, b]).toEqual([1, 1])
      expect(cache.stats().staleHits).toBe(2)
      await sleep(40)
      expect(await cache.getOrSet('swr', fn, { ttl: 0.05, swr: 5 })).toBe(2)
      expect(version).toBe(2)
    })

    it('invalidateModel makes every dependent entry a miss and leaves others alone', async () => {
      const { cache } = await setup()
      await cache.set('a', 'A', { models: ['Article'] })
      await cache.set('ab', 'AB', { models: ['Author', 'Article'] })
      await cache.set('b', 'B', { models: ['Author'] })
      await cache.invalidateModel('Article')
      expect(await cache.get('a')).toBeUndefined()
      expect(await cache.get('ab')).toBeUndefined()
      expect(await cache.get('b')).toBe('B')
    })

    it('invalidateTags makes tagged entries a miss', async () => {
      const { cache } = await setup()
      await cache.set('home', 1, { tags: ['homepage'] })
      await cache.set('other', 2, { tags: ['sidebar'] })
      await cache.invalidateTags(['homepage'])
      expect(await cache.get('home')).toBeUndefined()
      expect(await cache.get('other')).toBe(2)
    })

    it('delete and deletePattern remove user keys by name and glob', async () => {
      const { cache } = await setup()
      for (const k of ['article:1', 'article:2', 'article:list', 'author:1', 'art[x]*?'])
        await cache.set(k, k)
      expect(await cache.delete('author:1')).toBe(true)
      expect(await cache.get('author:1')).toBeUndefined()
      expect(await cache.deletePattern('article:?')).toBe(2)
      expect(await cache.get('article:list')).toBe('article:list')
      expect(await cache.deletePattern('art\\[x\\]\\*\\?')).toBe(1)
      expect(await cache.get('art[x]*?')).toBeUndefined()
      expect(await cache.get('article:list')).toBe('article:list')
    })

    it('clear and deletePattern leave keys outside the namespace untouched', async () => {
      const { cache, s } = await setup()
      const other = createQueryCache({ namespace: `${cache.namespace}x`, store: s.store })
      await s.raw.set('foreign:key', 'keep me')
      await s.raw.set(`${cache.namespace}-lookalike`, 'keep me too')
      await other.set('article:1', 'other namespace')
      await cache.set('article:1', 'mine')
      expect(await cache.deletePattern('*')).toBe(1)
      await cache.set('article:2', 'mine')
      await cache.clear()
      expect(await cache.get('article:2')).toBeUndefined()
      expect(await s.raw.get('foreign:key')).toBe('keep me')
      expect(await s.raw.get(`${cache.namespace}-lookalike`)).toBe('keep me too')
      expect(await other.get('article:1')).toBe('other namespace')
      await other.clear()
      await s.raw.delete('foreign:key')
      await s.raw.delete(`${cache.namespace}-lookalike`)
    })

    it("two namespaces on one store never see each other's entries or invalidations", async () => {
      const { cache, s } = await setup()
      const other = createQueryCache({ namespace: `${cache.namespace}-b`, store: s.store })
      await cache.set('k', 'a', { models: ['Article'], tags: ['home'] })
      await other.set('k', 'b', { models: ['Article'], tags: ['home'] })
      expect(await cache.get('k')).toBe('a')
      expect(await other.get('k')).toBe('b')
      await cache.invalidateModel('Article')
      await cache.invalidateTags(['home'])
      expect(await cache.get('k')).toBeUndefined()
      expect(await other.get('k')).toBe('b')
      await cache.set('k', 'a2')
      await other.clear()
      expect(await cache.get('k')).toBe('a2')
      expect(await other.get('k')).toBeUndefined()
    })

    it('keys and patterns with glob characters, unicode and separators are just keys', async () => {
      const { cache } = await setup()
      const keys = [
        'a:b:c',
        'a::b',
        'ключ:1',
        '🔑/*?',
        'tab\tsep',
        'new\nline',
        ' lead',
        'a*',
        'a[1]',
        'a\\b',
        'x'.repeat(2000),
      ]
      for (const [i, k] of keys.entries()) await cache.set(k, i)
      for (const [i, k] of keys.entries()) expect(await cache.get(k)).toBe(i)
      expect(await cache.deletePattern('ключ:*')).toBe(1)
      expect(await cache.deletePattern('a\\*')).toBe(1) // only the literal "a*"
      expect(await cache.get('a:b:c')).toBe(0)
      expect(await cache.deletePattern('🔑/\\*\\?')).toBe(1)
      expect(await cache.get('ключ:1')).toBeUndefined()
      expect(await cache.get('a*')).toBeUndefined()
      expect(await cache.get('a[1]')).toBe(8)
    })

    it('a slow getOrSet racing invalidateModel never leaves a live stale entry', async () => {
      const { cache } = await setup()
      let db = 'old'
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      let started!: () => void
      const running = new Promise<void>((r) => (started = r))
      const slow = cache.getOrSet(
        'q',
        async () => {
          const seen = db // the query reads before the write commits…
          started()
          await gate // …and returns after the write and its invalidation have finished
          return seen
        },
        { models: ['Article'] },
      )
      await running // however slow the store, the query has read before the write
      db = 'new'
      await cache.invalidateModel('Article')
      release()
      expect(await slow).toBe('old') // the read began before the write: old data is allowed here
      expect(await cache.getOrSet('q', async () => db, { models: ['Article'] })).toBe('new')
      expect(await cache.get('q')).toBe('new')
    })

    it('a read started after an invalidation does not join a flight that began before it', async () => {
      const { cache } = await setup()
      let db = 'old'
      let calls = 0
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      let started!: () => void
      const running = new Promise<void>((r) => (started = r))
      const slow = cache.getOrSet(
        'q',
        async () => {
          calls++
          const seen = db
          started()
          await gate
          return seen
        },
        { models: ['Article'] },
      )
      await running
      db = 'new'
      await cache.invalidateModel('Article')
      const fresh = cache.getOrSet(
        'q',
        async () => {
          calls++
          return db
        },
        { models: ['Article'] },
      )
      release()
      expect(await fresh).toBe('new')
      expect(await slow).toBe('old')
      expect(calls).toBe(2)
    })

    it('200 concurrent getOrSet calls on one cold key run fn once, each getting its own copy', async () => {
      const { cache } = await setup()
      let calls = 0
      const fn = async () => {
        calls++
        await sleep(30)
        return { rows: [1, 2, 3] }
      }
      const results = await Promise.all(
        Array.from({ length: 200 }, () =>
          cache.getOrSet('cold', fn, { models: ['Article'], tags: ['t'] }),
        ),
      )
      expect(calls).toBe(1)
      expect(new Set(results).size).toBe(200)
      for (const r of results) expect(r).toEqual({ rows: [1, 2, 3] })
    })

    it('an entry whose generation token vanished is never served again', async () => {
      const { cache, s } = await setup()
      const store = cache.store as StoreDriver
      await cache.set('q', 'old', { models: ['Article'] })
      expect(await cache.get('q')).toBe('old')
      // evict every token of this namespace behind the library's back, as Redis eviction would
      for await (const batch of store.scan!(`${cache.namespace}:t:`))
        for (const k of batch) await s.raw.delete(k)
      await behindOurBack()
      expect(await cache.get('q')).toBeUndefined()
      expect(await cache.getOrSet('q', async () => 'new', { models: ['Article'] })).toBe('new')
      expect(await cache.get('q')).toBe('new')
    })

    it('treats corrupt, truncated and foreign entries as misses and removes them', async () => {
      const errors: string[] = []
      const { cache, s } = await setup({ onError: (e) => errors.push(e.code) })
      await cache.set('q', { big: 'x'.repeat(100) })
      const store = cache.store as StoreDriver
      const [entryKey] = await collect(store.scan!(`${cache.namespace}:e:`))
      const good = (await s.raw.get(entryKey!))!
      for (const bad of [
        good.slice(0, good.length - 5),
        'not json',
        '{"value":"other format"}',
        '["qc1","q"]',
        '\u0000\u00ff',
      ]) {
        await s.raw.set(entryKey!, bad)
        await behindOurBack()
        expect(await cache.getOrSet('q', async () => 'recomputed')).toBe('recomputed')
        // the recomputed entry is written behind the result: let it land before the next edit
        await cache.flush()
      }
      expect(cache.stats().corrupt).toBe(5)
      expect(errors.filter((c) => c === 'QC_CORRUPT_ENTRY')).toHaveLength(5)
    })

    it('does not cache a result larger than maxEntryBytes, and counts it', async () => {
      const { cache } = await setup({ maxEntryBytes: 2048 })
      let calls = 0
      const big = async () => {
        calls++
        return 'é'.repeat(1500) // 3000 bytes in UTF-8
      }
      await cache.getOrSet('big', big)
      await cache.getOrSet('big', big)
      expect(calls).toBe(2)
      // counted when the entry write behind the result finds it too large
      await cache.flush()
      expect(cache.stats().skipped).toBe(2)
    })
  })
}

async function collect(it: AsyncIterable<string[]>): Promise<string[]> {
  const out: string[] = []
  for await (const b of it) out.push(...b)
  return out
}
