// Single-flight joins must never hand a read that started after a write the result of a query
// that began before it — also when the store cannot tell (read failed).
import { expect, it, vi } from 'vitest'
import { createQueryCache, defineStore, memoryStore, type QueryCache } from '../src/index.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A store standing for a remote one that processes share: a Map behind it, calls overridable. */
function sharedStore(
  shared: Map<string, string>,
  name: string,
  override: {
    getMany?: (keys: string[]) => Promise<(string | undefined)[]>
    set?: (key: string, value: string) => Promise<void>
  } = {},
) {
  return defineStore({
    name,
    async get(key) {
      return shared.get(key)
    },
    getMany: override.getMany ?? (async (keys) => keys.map((k) => shared.get(k))),
    set:
      override.set ??
      (async (key, value) => {
        shared.set(key, value)
      }),
    async deleteMany(keys) {
      for (const k of keys) shared.delete(k)
    },
  })
}

/** A read of 'q' (model Post) whose query reads the row at once and answers once released. */
function slowRead(cache: QueryCache, row: () => string) {
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const result = cache.getOrSet(
    'q',
    async () => {
      const seen = row()
      await gate
      return seen
    },
    { models: ['Post'] },
  )
  return { result, release }
}

it('a read whose store read fails does not join an older in-flight query', async () => {
  const shared = new Map<string, string>()
  let failNextRead = false
  const remote = () =>
    sharedStore(shared, 'flaky', {
      async getMany(keys) {
        if (failNextRead) {
          failNextRead = false
          throw new Error('ECONNRESET')
        }
        return keys.map((k) => shared.get(k))
      },
    })
  const writer = createQueryCache({ store: remote() })
  const reader = createQueryCache({ store: remote() })
  let row = 'old'
  await reader.getOrSet('q', async () => row, { models: ['Post'] })
  await writer.invalidateModels(['Post'])
  // a slow read in the reader's process loads the row before the write
  const { result: slow, release } = slowRead(reader, () => row)
  await new Promise((r) => setTimeout(r, 20))
  // another process writes and invalidates; its write has resolved
  row = 'new'
  await writer.invalidateModels(['Post'])
  failNextRead = true
  const late = reader.getOrSet('q', async () => row, { models: ['Post'] })
  setTimeout(release, 20)
  expect(await late).toBe('new')
  expect(await slow).toBe('old')
  expect(reader.stats().errors).toBe(1)
})

// Write-behind: a miss hands its result over before its entry is stored.
function gatedStore() {
  const shared = new Map<string, string>()
  let open!: () => void
  let gate = new Promise<void>((r) => {
    open = r
  })
  let pendingSets = 0
  const store = defineStore({
    name: 'gated',
    async get(key) {
      return shared.get(key)
    },
    async getMany(keys) {
      return keys.map((k) => shared.get(k))
    },
    async set(key, value) {
      // tokens are written through set too: only entries wait at the gate
      if (key.includes(':e:')) {
        pendingSets++
        await gate
        pendingSets--
      }
      shared.set(key, value)
    },
    async deleteMany(keys) {
      for (const k of keys) shared.delete(k)
    },
  })
  return {
    store,
    shared,
    get pendingSets() {
      return pendingSets
    },
    open: () => {
      open()
      gate = Promise.resolve()
    },
  }
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve))

it('a miss returns before its entry is encoded or written; a read while it is on its way shares it', async () => {
  const s = gatedStore()
  const cache = createQueryCache({ store: s.store, namespace: 'wb1' })
  let runs = 0
  const fn = async () => ++runs
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe(1)
  expect(s.pendingSets).toBe(0) // returned before its entry was even encoded
  await macrotask()
  expect(s.pendingSets).toBe(1) // encoded from a copy, and on its way to the store
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe(1)
  // served the finished query's result, which its entry holds (a hit), while the entry is held
  expect(runs).toBe(1)
  expect(cache.stats()).toMatchObject({ sets: 0, hits: 1, misses: 1 })
  s.open()
  await cache.flush()
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe(1)
  expect(cache.stats()).toMatchObject({ sets: 1, hits: 2, misses: 1 })
  await cache.close()
})

it('a read right after a miss encodes its entry there and then, and hits (memory store)', async () => {
  const store = memoryStore()
  const cache = createQueryCache({ namespace: 'wb1a', store })
  let runs = 0
  const fn = async () => ++runs
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe(1)
  expect(cache.stats().sets).toBe(0) // still to be encoded
  expect(store.size.entries).toBe(2) // the namespace's and M's tokens only
  // no macrotask runs in between: the read encodes and stores the entry before it looks
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe(1)
  expect(store.size.entries).toBe(3)
  expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 })
  expect(runs).toBe(1)
  await cache.flush() // the write's own bookkeeping settles a few microtasks after the hit
  expect(cache.stats()).toMatchObject({ sets: 1, hits: 1, misses: 1 })
  await cache.close()
})

it('callers that arrive while the query runs join it, each with its own copy', async () => {
  const cache = createQueryCache({ namespace: 'wb1b' })
  let runs = 0
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const fn = async () => {
    runs++
    await gate
    return { rows: [{ id: 1, at: new Date(5) }] }
  }
  const calls = [1, 2, 3].map(() => cache.getOrSet('q', fn, { models: ['M'] }))
  await new Promise((r) => setTimeout(r, 10))
  release()
  const [a, b, c] = await Promise.all(calls)
  expect(runs).toBe(1)
  expect(b).toEqual(a)
  expect(c).toEqual(a)
  expect(new Set([a, b, c]).size).toBe(3)
  expect(new Set([a!.rows[0], b!.rows[0], c!.rows[0]]).size).toBe(3)
  expect(b!.rows[0]!.at).toBeInstanceOf(Date)
  await cache.close()
})

it('what a caller does to its result right after a miss never reaches the entry', async () => {
  const cache = createQueryCache({ namespace: 'wb1c' })
  const first = await cache.getOrSet('q', async () => [{ id: 1, tags: ['a'], at: new Date(5) }], {
    models: ['M'],
  })
  // before the entry is encoded, which happens behind the caller
  first[0]!.tags.push('changed')
  first[0]!.at.setTime(99)
  first.push({ id: 2, tags: [], at: new Date(0) })
  await cache.flush()
  expect(await cache.getOrSet('q', async () => [], { models: ['M'] })).toEqual([
    { id: 1, tags: ['a'], at: new Date(5) },
  ])
  await cache.close()
})

it('a result the copy cannot keep exactly is encoded at once, as before: an unregistered class is refused then', async () => {
  class Money {
    constructor(readonly cents: number) {}
  }
  const errors: string[] = []
  const cache = createQueryCache({ namespace: 'wb1d', onError: (e) => errors.push(e.code) })
  const value = await cache.getOrSet('q', async () => ({ price: new Money(5) }), { models: ['M'] })
  expect(value.price).toBeInstanceOf(Money)
  // refused before the caller got its result, not cached as a plain object later
  expect(errors).toEqual(['QC_CODEC'])
  expect(cache.stats().skipped).toBe(1)
  await cache.flush()
  let runs = 0
  await cache.getOrSet('q', async () => ({ price: new Money(++runs) }), { models: ['M'] })
  expect(runs).toBe(1)
  await cache.close()
})

it('an entry written behind a write that landed first is never served', async () => {
  const s = gatedStore()
  const cache = createQueryCache({ store: s.store, namespace: 'wb2' })
  let value = 'before'
  const fn = async () => value
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe('before')
  await macrotask() // the entry is encoded and its write issued, held by the store
  value = 'after'
  await cache.invalidateModels(['M']) // the write returns while the old entry is still on its way
  s.open()
  await cache.close() // the old entry is now stored, with the tokens it read before the write
  expect([...s.shared.keys()].some((k) => k.includes(':e:'))).toBe(true)
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe('after')
})

it('close() waits for the entries still being written behind', async () => {
  const s = gatedStore()
  const cache = createQueryCache({ store: s.store, namespace: 'wb3' })
  await cache.getOrSet('q', async () => 1)
  let closed = false
  const closing = cache.close().then(() => {
    closed = true
  })
  await new Promise((r) => setTimeout(r, 20))
  expect(closed).toBe(false)
  s.open()
  await closing
  expect(cache.stats().sets).toBe(1)
})

it('delete() of an entry still being written behind its miss waits for it, so it stays deleted', async () => {
  const s = gatedStore()
  const cache = createQueryCache({ store: s.store, namespace: 'wb4' })
  await cache.getOrSet('q', async () => 'cached')
  const deleting = cache.delete('q')
  s.open()
  await deleting
  expect(await cache.get('q')).toBeUndefined()
  await cache.close()
})

it('under fake timers (no macrotask ever runs) a read after a miss, flush() and close() still finish', async () => {
  vi.useFakeTimers()
  try {
    const cache = createQueryCache({ namespace: 'wb5' })
    let runs = 0
    const fn = async () => ({ n: ++runs })
    expect(await cache.getOrSet('q', fn, { models: ['M'] })).toEqual({ n: 1 })
    expect(await cache.getOrSet('q', fn, { models: ['M'] })).toEqual({ n: 1 })
    expect(runs).toBe(1)
    await cache.flush()
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, sets: 1 })
    await cache.getOrSet('r', fn, { models: ['M'] })
    expect(await cache.get('r')).toEqual({ n: 2 })
    await cache.getOrSet('s', fn, { models: ['M'] })
    await cache.flush()
    expect(cache.stats().sets).toBe(3)
    await cache.close()
  } finally {
    vi.useRealTimers()
  }
})

it('a registered type that recognises an Array subclass or a branded plain object keeps it, written behind', async () => {
  class Path extends Array<number> {}
  const BRAND = Symbol('money')
  const cache = createQueryCache({
    namespace: 'wb6',
    types: [
      {
        name: 'Path',
        test: (v): v is Path => v instanceof Path,
        encode: (v: Path) => [...v],
        decode: (j: number[]) => Path.from(j) as Path,
      },
      {
        name: 'Money',
        test: (v): v is { cents: number } => typeof v === 'object' && v !== null && BRAND in v,
        encode: (v: { cents: number }) => v.cents,
        decode: (cents: number) => ({ cents, [BRAND]: true }),
      },
    ],
  })
  const path = Path.from([1, 2]) as Path
  const load = async () => ({ path, price: { cents: 5, [BRAND]: true } })
  await cache.getOrSet('q', load, { models: ['M'] })
  await cache.flush()
  const hit = await cache.getOrSet('q', load, { models: ['M'] })
  expect(cache.stats().hits).toBe(1)
  expect(hit.path).toBeInstanceOf(Path)
  expect([...hit.path]).toEqual([1, 2])
  expect(BRAND in hit.price).toBe(true)
  await cache.close()
})

it('a read that shares a result whose entry is already encoded gets its own decoded copy', async () => {
  const s = gatedStore()
  const cache = createQueryCache({ store: s.store, namespace: 'wb7' })
  const first = await cache.getOrSet('q', async () => ({ at: new Date(5), n: 7n }), {
    models: ['M'],
  })
  await macrotask() // encoded, the copy let go; the entry is held by the store
  expect(s.pendingSets).toBe(1)
  const second = await cache.getOrSet('q', async () => ({ at: new Date(0), n: 0n }), {
    models: ['M'],
  })
  expect(second).toEqual({ at: new Date(5), n: 7n })
  expect(second).not.toBe(first)
  expect(second.at).not.toBe(first.at)
  expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 })
  s.open()
  await cache.close()
})

it('a finished query is not shared once tokens it created were rotated elsewhere and then evicted', async () => {
  const s = gatedStore() // its entry write is held, so the finished flight stays open
  const cache = createQueryCache({ store: s.store, namespace: 'wb8' })
  let value = 'before'
  const fn = async () => value
  // no tokens yet: the query sees them missing, and creates them
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe('before')
  await macrotask()
  // another process invalidates M (its token rotates), then Redis evicts the token keys: a read
  // sees them missing again, as the query did before it created them
  value = 'after'
  for (const k of [...s.shared.keys()]) if (k.includes(':t:')) s.shared.delete(k)
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toBe('after')
  s.open()
  await cache.close()
})

it('a finished query is not shared past the TTL its entry would have', async () => {
  const s = gatedStore()
  const cache = createQueryCache({ store: s.store, namespace: 'wb9' })
  let runs = 0
  const fn = async () => ++runs
  expect(await cache.getOrSet('q', fn, { models: ['M'], ttl: 0.05 })).toBe(1)
  await macrotask() // the entry write is held by the store
  await new Promise((r) => setTimeout(r, 80))
  expect(await cache.getOrSet('q', fn, { models: ['M'], ttl: 0.05 })).toBe(2)
  s.open()
  await cache.close()
})

it('a local store read without a promise (getManyNow) that throws is reported, and the query answers', async () => {
  const shared = new Map<string, string>()
  let failing = false
  const errors: string[] = []
  const cache = createQueryCache({
    namespace: 'now1',
    onError: (error, info) => errors.push(`${info.operation}: ${error.message}`),
    store: defineStore({
      name: 'sync-local',
      local: true,
      async get(key) {
        return shared.get(key)
      },
      async getMany(keys) {
        return keys.map((k) => shared.get(k))
      },
      getManyNow(keys) {
        if (failing) throw new Error('EIO')
        return keys.map((k) => shared.get(k))
      },
      async set(key, value) {
        shared.set(key, value)
      },
      async deleteMany(keys) {
        for (const k of keys) shared.delete(k)
      },
    }),
  })
  let runs = 0
  const fn = async () => ({ n: ++runs })
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toEqual({ n: 1 })
  await cache.flush()
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toEqual({ n: 1 }) // a hit, read at once
  failing = true
  expect(await cache.getOrSet('q', fn, { models: ['M'] })).toEqual({ n: 2 })
  expect(errors).toEqual(['get: Store "sync-local" get failed: EIO'])
  expect(cache.stats()).toMatchObject({ hits: 1, errors: 1 })
  await cache.close()
})

it('a token whose write failed but lands later, over a newer one, lets no reader join the flight that chose it', async () => {
  // found in review: a remote store's token write fails for the caller (a timeout, a client
  // reconnecting) yet reaches the store later, on top of another process's invalidation
  const shared = new Map<string, string>()
  let late = true
  const remote = (lateTokenWrites: boolean) =>
    sharedStore(shared, 'remote', {
      async set(key, value) {
        if (lateTokenWrites && late && key.includes(':t:')) {
          setTimeout(() => shared.set(key, value), 50)
          throw new Error('timed out')
        }
        shared.set(key, value)
      },
    })
  const reader = createQueryCache({ store: remote(true), namespace: 'late', onError: () => {} })
  const writer = createQueryCache({ store: remote(false), namespace: 'late' })
  let row = 'old'
  const { result: slow, release } = slowRead(reader, () => row)
  await sleep(10)
  row = 'new'
  await writer.invalidateModels(['Post']) // done: the new token is in the store
  await sleep(80) // the reader's failed token write lands over it
  late = false
  const read = reader.getOrSet('q', async () => row, { models: ['Post'] })
  setTimeout(release, 20)
  expect(await read).toBe('new') // began after the invalidation: never the flight's 'old'
  expect(await slow).toBe('old')
  await reader.close()
  await writer.close()
})
