import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { CacheOptionError, createQueryCache, memoryStore } from '../src/index.js'

describe('memory store', () => {
  it('stays within its byte bound while 100k entries are written', async () => {
    const maxBytes = 2 * 1024 * 1024
    const store = memoryStore({ maxEntries: 1_000_000, maxBytes })
    const cache = createQueryCache({ store })
    const row = { id: 0, title: 'x'.repeat(200), at: new Date(0) }
    let peak = 0
    for (let i = 0; i < 100_000; i++) {
      await cache.set(`row:${i}`, { ...row, id: i }, { models: ['Row'] })
      if (i % 1000 === 0) peak = Math.max(peak, store.size.bytes)
    }
    expect(store.size.bytes).toBeLessThanOrEqual(maxBytes)
    expect(peak).toBeLessThanOrEqual(maxBytes)
    // it did fill up (the bound, not the count, is what held it)
    expect(store.size.bytes).toBeGreaterThan(maxBytes * 0.9)
    expect(store.size.entries).toBeLessThan(100_000)
    // recent entries survive, the oldest were evicted
    expect(await cache.get('row:99999')).toMatchObject({ id: 99999 })
    expect(await cache.get('row:0')).toBeUndefined()
  })

  it('does not leak under a sustained write-heavy load (heap measured before and after)', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const store = memoryStore({ maxEntries: 5_000, maxBytes: 4 * 1024 * 1024 })
    const cache = createQueryCache({ store })
    const models = Array.from({ length: 50 }, (_, i) => `M${i}`)
    let round = 0
    const load = async (ops: number) => {
      for (let i = 0; i < ops; i++, round++) {
        const model = models[round % models.length]!
        if (round % 3 === 0) await cache.invalidateModel(model)
        else {
          // mostly new keys (each one a miss and a write), some hot ones (hits)
          const key = round % 3 === 1 ? `q:${round}` : `hot:${round % 100}`
          await cache.getOrSet(key, async () => ({ id: round, body: 'y'.repeat(300) }), {
            models: [model],
            tags: [`t${round % 1000}`],
          })
        }
      }
    }
    const heap = () => {
      gc()
      gc()
      return process.memoryUsage().heapUsed
    }
    await load(30_000) // fill the store to its bound first
    const before = heap()
    await load(150_000)
    const after = heap()
    expect(store.size.bytes).toBeLessThanOrEqual(4 * 1024 * 1024)
    // the store is full in both measurements; what is left is noise, not growth with load
    expect(after - before).toBeLessThan(3 * 1024 * 1024)
  })

  it('stays within its entry bound', async () => {
    const store = memoryStore({ maxEntries: 100 })
    const cache = createQueryCache({ store })
    for (let i = 0; i < 1000; i++) await cache.set(`k${i}`, i)
    expect(store.size.entries).toBeLessThanOrEqual(100)
  })

  it('keeps the model tokens of hot models while cold entries are evicted', async () => {
    const store = memoryStore({ maxEntries: 50 })
    const cache = createQueryCache({ store })
    let calls = 0
    await cache.getOrSet('hot', async () => ++calls, { models: ['Hot'] })
    for (let i = 0; i < 200; i++) {
      await cache.set(`cold${i}`, i)
      expect(await cache.getOrSet('hot', async () => ++calls, { models: ['Hot'] })).toBe(1)
    }
  })

  it('rejects nonsense bounds with a message naming the option', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(/maxEntries/)
    expect(() => memoryStore({ maxBytes: 10 })).toThrow(CacheOptionError)
  })
})

describe('options', () => {
  it.each([
    [{ namespace: 'has space' }, /namespace/],
    [{ namespace: '' }, /namespace/],
    [{ ttl: 0 }, /ttl/],
    [{ ttl: -1 }, /ttl/],
    [{ version: 1.5 }, /version/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ maxEntryBytes: Number.NaN }, /maxEntryBytes/],
    [{ store: { nope: true } }, /store/],
  ])('createQueryCache(%j) fails fast naming the option', (options, message) => {
    expect(() => createQueryCache(options as never)).toThrow(message)
  })

  it('per-call options are checked too', async () => {
    const cache = createQueryCache()
    await expect(cache.getOrSet('k', () => 1, { ttl: -5 })).rejects.toThrow(/ttl/)
    await expect(cache.getOrSet('k', () => 1, { models: [''] })).rejects.toThrow(/models/)
    await expect(cache.getOrSet('k', () => 1, { swr: -1 })).rejects.toThrow(/swr/)
    await expect(cache.getOrSet('', () => 1)).rejects.toThrow(/key/)
    await expect(cache.invalidateTags('home' as never)).rejects.toThrow(/invalidateTags/)
    await expect(cache.deletePattern('')).rejects.toThrow(/pattern/)
  })

  it('a throwing onError never turns a cache problem into a failed query', async () => {
    const cache = createQueryCache({
      onError: () => {
        throw new Error('bad hook')
      },
    })
    const value = await cache.getOrSet('k', () => ({ f: () => 1 }))
    expect(typeof value.f).toBe('function')
    expect(cache.stats().errors).toBe(1)
  })

  it('bumping version orphans old entries but keeps invalidations shared', async () => {
    const store = memoryStore()
    const v1 = createQueryCache({ store, version: 1 })
    const v2 = createQueryCache({ store, version: 2 })
    await v1.set('k', 'from v1', { models: ['A'] })
    expect(await v2.get('k')).toBeUndefined()
    await v2.set('k', 'from v2', { models: ['A'] })
    await v1.invalidateModel('A') // an old deploy's write still reaches the new deploy's entries
    expect(await v2.get('k')).toBeUndefined()
  })
})
