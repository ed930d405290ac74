// Signed entries against a real Redis: content querycache did not write under that key with an
// accepted key is a miss, removed, counted and reported; nothing forged is ever served.
import { randomBytes } from 'node:crypto'
import { redisAdapter, uniqueNamespace } from '@querycache/testing/redis'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CacheOptionError,
  createQueryCache,
  type QueryCache,
  type QueryCacheOptions,
} from '../src/index.js'

const KEY = randomBytes(32).toString('base64')
const OLD_KEY = randomBytes(32)

const adapters: ReturnType<typeof redisAdapter>[] = []
const caches: QueryCache[] = []
afterAll(async () => {
  for (const c of caches) await c.close()
})

/** A cache on the shared Redis (each its own connection), and raw access to the same Redis. */
async function open(namespace: string, options: QueryCacheOptions = {}) {
  const store = redisAdapter()
  adapters.push(store)
  const errors: string[] = []
  const cache = createQueryCache({
    store,
    namespace,
    ttl: null,
    onError: (e) => errors.push(e.code),
    ...options,
  })
  caches.push(cache)
  const client = await store.getClient()
  const entryKey = async (key: string) => {
    const keys = await client.keys(`${namespace}:e:*`)
    for (const k of keys) if ((await client.get(k))?.includes(JSON.stringify(key))) return k
    throw new Error(`no entry for ${key}`)
  }
  return { cache, client, errors, entryKey }
}

const loader = (value: unknown) => {
  const fn = async () => {
    fn.calls++
    return value
  }
  fn.calls = 0
  return fn
}

describe('integrity: signed entries', () => {
  it('an entry edited in Redis is a miss, removed and reported; unsigned, it would be served', async () => {
    for (const signed of [false, true]) {
      const { cache, client, errors, entryKey } = await open(uniqueNamespace('forged'), {
        ...(signed ? { integrity: { key: KEY } } : {}),
      })
      await cache.set('price:A', { sku: 'A', cents: 1999 }, { models: ['Price'] })
      // read once first: a signed cache remembers what verified, and must still see the edit
      expect(await cache.get('price:A')).toEqual({ sku: 'A', cents: 1999 })
      const k = await entryKey('price:A')
      const genuine = (await client.get(k))!
      expect(genuine.startsWith('qcs1.')).toBe(signed)
      await client.set(k, genuine.replace('1999', '1'))
      const load = loader({ sku: 'A', cents: 1999 })
      const read = await cache.getOrSet('price:A', load, { models: ['Price'] })
      if (!signed) {
        // the threat: without signatures the forged row is a hit
        expect(read).toEqual({ sku: 'A', cents: 1 })
        expect(load.calls).toBe(0)
        continue
      }
      expect(read).toEqual({ sku: 'A', cents: 1999 })
      expect(load.calls).toBe(1)
      expect(cache.stats()).toMatchObject({ badSignatures: 1, corrupt: 0 })
      expect(errors).toEqual(['QC_INTEGRITY'])
      // removed, and replaced by the query's own result, signed (written behind it)
      await cache.flush()
      expect(await client.get(k)).not.toContain('"cents":1,')
      expect(await cache.get('price:A')).toEqual({ sku: 'A', cents: 1999 })
    }
  })

  it('refuses an entry written without the key, and an entry moved from another key', async () => {
    const namespace = uniqueNamespace('foreign')
    const plain = await open(namespace)
    const signed = await open(namespace, { integrity: { key: KEY } })
    // written by a cache of the same namespace without integrity (or by anyone else)
    await plain.cache.set('a', 'unsigned')
    const load = loader('fresh')
    expect(await signed.cache.getOrSet('a', load)).toBe('fresh')
    expect(load.calls).toBe(1)
    // a genuine signed entry copied under another key: the MAC covers the store key
    await signed.cache.set('admin', 'secret')
    await signed.cache.set('guest', 'public')
    await signed.client.set(
      await signed.entryKey('guest'),
      (await signed.client.get(await signed.entryKey('admin')))!,
    )
    const guest = loader('public')
    expect(await signed.cache.getOrSet('guest', guest)).toBe('public')
    expect(guest.calls).toBe(1)
    expect(signed.cache.stats().badSignatures).toBe(2)
    expect(signed.errors).toEqual(['QC_INTEGRITY', 'QC_INTEGRITY'])
  })

  it('rotation in two steps: previous keys are accepted for reading, never used to sign', async () => {
    const namespace = uniqueNamespace('rotation')
    const old = await open(namespace, { integrity: { key: OLD_KEY } })
    await old.cache.set('q', 'signed with the old key')
    // step 1, rolled out everywhere: still signing with the old key, already accepting the new
    const step1 = await open(namespace, { integrity: { key: OLD_KEY, previousKeys: [KEY] } })
    expect(await step1.cache.get('q')).toBe('signed with the old key')
    // step 2: signing with the new key, still accepting the old; step-1 instances read both
    const step2 = await open(namespace, { integrity: { key: KEY, previousKeys: [OLD_KEY] } })
    expect(await step2.cache.get('q')).toBe('signed with the old key')
    await step2.cache.set('r', 'signed with the new key')
    expect(await step1.cache.get('r')).toBe('signed with the new key')
    expect(step1.cache.stats().badSignatures + step2.cache.stats().badSignatures).toBe(0)
    // an instance that accepts only the old key (step 1 skipped) refuses and removes it
    expect(await old.cache.get('r')).toBeUndefined()
    expect(old.cache.stats().badSignatures).toBe(1)
    expect(await step2.cache.get('r')).toBeUndefined()
    // step 3: the old key dropped; its entries are refused from now on
    const step3 = await open(namespace, { integrity: { key: KEY } })
    expect(await step3.cache.get('q')).toBeUndefined()
    expect(step3.cache.stats().badSignatures).toBe(1)
  })

  it('a signed cache reads its own entries as hits, through getOrSet, tags and invalidation', async () => {
    const { cache } = await open(uniqueNamespace('own'), { integrity: { key: KEY } })
    const load = loader([{ id: 1, at: new Date(0), n: 10n }])
    await cache.getOrSet('rows', load, { models: ['Post'], tags: ['home'] })
    expect(await cache.getOrSet('rows', load, { models: ['Post'], tags: ['home'] })).toEqual([
      { id: 1, at: new Date(0), n: 10n },
    ])
    expect(load.calls).toBe(1)
    await cache.invalidateTags(['home'])
    await cache.getOrSet('rows', load, { models: ['Post'], tags: ['home'] })
    expect(load.calls).toBe(2)
    expect(cache.stats().badSignatures).toBe(0)
  })

  it('a bad key is a clear error at once', () => {
    for (const integrity of [
      { key: 'short' },
      { key: 42 },
      { key: KEY, previousKeys: ['x'] },
      { key: KEY, previousKeys: 'not a list' },
      'a string',
    ])
      expect(() => createQueryCache({ integrity: integrity as never })).toThrow(CacheOptionError)
    expect(() => createQueryCache({ integrity: { key: 'short' } })).toThrow(/at least 32 bytes/)
  })
})
