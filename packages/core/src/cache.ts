import { Codec, type CodecType } from './codec.js'
import { DecodedEntries } from './decoded.js'
import { Entries, type EntryRead, NO_COPY } from './entries.js'
import { peekUserKey } from './entry.js'
import { CacheOptionError, QueryCacheError } from './errors.js'
import { canJoin, Flights } from './flights.js'
import { compileGlob } from './glob.js'
import type { IntegrityOptions } from './integrity.js'
import { KeyLayout } from './keys.js'
import { type NearCacheOptions, NearTier, nearChannel, nearDriver } from './near.js'
import { checkKey, checkNames } from './options.js'
import {
  type ResolvedEntryOptions,
  resolveCacheOptions,
  resolveEntryOptions,
} from './resolved-options.js'
import { type CacheStats, type ModelStats, StatsCollector } from './stats.js'
import { StoreAccess } from './store-access.js'
import type { StoreOperation } from './stores/guarded.js'
import type { KeyvLike } from './stores/keyv.js'
import type { StoreDriver } from './stores/types.js'
import { Telemetry, type TelemetryOptions } from './telemetry.js'
import { Tokens } from './tokens.js'

/** What one lookup found: the entry as read, and the tokens observed alongside it. */
interface Lookup {
  observed: (string | undefined)[] | undefined
  read: EntryRead | undefined
}

/** `channel`: the near cache's invalidation channel (subscribing, or an unreadable message). */
export type ErrorOperation = StoreOperation | 'encode' | 'decode' | 'refresh' | 'channel'

export interface ErrorContext {
  operation: ErrorOperation
  /** The user key (never a store key) the operation was about, when there is one. */
  key?: string
  store: string
}

export interface QueryCacheOptions {
  /** A store driver, a Keyv instance or a Keyv store adapter. Default: `memoryStore()`. */
  store?: StoreDriver | KeyvLike | undefined
  /**
   * `close()` also disconnects the Keyv store (a KeyvRedis, cluster included) it was given, so a
   * script ends once it closes its cache. Set false when that store is shared with other caches
   * or code. A StoreDriver's own `close()` is always called. Default true.
   */
  closeStore?: boolean | undefined
  /**
   * An in-process tier in front of a remote store (Redis, Redis Cluster): hits are answered from
   * this process's memory, and every process's invalidations reach it through the store's
   * pub/sub. `true` for the defaults. See the README's "Near cache" for what it guarantees.
   */
  nearCache?: NearCacheOptions | boolean | undefined
  /**
   * Sign every entry (HMAC-SHA256 with `key`) and serve only entries that verify, so content
   * written to the store by anyone without the key is a miss, removed and reported
   * (`QC_INTEGRITY`). `previousKeys` are still accepted for reading during a key rotation.
   * Default: off. See SECURITY.md.
   */
  integrity?: IntegrityOptions | undefined
  /**
   * Events on `node:diagnostics_channel` (`querycache:read`, `:set`, `:invalidate`, `:error`) are
   * always published to subscribers; `{ keys: true }` adds cache keys to them (off by default:
   * keys can hold personal data).
   */
  telemetry?: TelemetryOptions | undefined
  /** Prefix of every store key. Letters, digits, `_`, `-`, `.`. Default `"qc"`. */
  namespace?: string | undefined
  /** Default TTL in seconds; `null` keeps entries until invalidated. Default 60. */
  ttl?: number | null | undefined
  /** Key schema version; bump it to orphan every entry written by older code. Default 1. */
  version?: number | undefined
  /**
   * Entries read more than once are kept decoded in this process, and each hit gets its own copy
   * (no JSON parsing, no reviving of Dates, BigInts, Decimals); an entry rewritten in the store is
   * read afresh. Bounded by `entries` and by the `bytes` of their stored text. `false` parses
   * every read. Default `{ entries: 500, bytes: 4 MiB }`.
   */
  keepDecoded?: boolean | { entries?: number; bytes?: number } | undefined
  /** Results whose encoded size exceeds this many bytes are not cached. Default 1 MiB. */
  maxEntryBytes?: number | undefined
  /** Bound on every call to a remote store. Default 200 ms. */
  timeoutMs?: number | undefined
  /** After a store call times out, skip the remote store for this long; also the retry interval of failed invalidations. Default 1000 ms. */
  retryAfterMs?: number | undefined
  /** Extra codec types (e.g. Prisma's Decimal). */
  types?: CodecType<any, any>[] | undefined
  /** Store and codec failures land here; they are never thrown to the caller. */
  onError?: ((error: QueryCacheError, context: ErrorContext) => void) | undefined
  /** Called after each model or tag invalidation was issued (for logs, metrics, demos). */
  onInvalidate?: ((event: InvalidationEvent) => void) | undefined
}

export interface InvalidationEvent {
  models: readonly string[]
  tags: readonly string[]
}

/** How one read was served (see `getOrSetInfo`). */
export type CallResult = 'hit' | 'stale' | 'miss' | 'bypass'

export interface EntryOptions {
  /** Seconds; `null` = until invalidated. Default: the cache's `ttl`. */
  ttl?: number | null | undefined
  /** Models (or tables) this result depends on; invalidating any of them makes it a miss. */
  models?: readonly string[] | undefined
  /** Tags this result depends on. */
  tags?: readonly string[] | undefined
  /** Seconds past the TTL during which the expired entry is served once more while one refresh runs. */
  swr?: number | undefined
}

/**
 * The cache engine. Entries depend on generation tokens (one per model, tag, and one for the
 * whole namespace); an entry is served only while every token it recorded before its query ran is
 * still current, so invalidation is O(1) and a slow reader can never store a live stale entry.
 */
export class QueryCache {
  readonly codec: Codec
  /** The store driver in use. */
  readonly store: StoreDriver
  readonly namespace: string
  readonly version: number

  private readonly layout: KeyLayout
  private readonly counters = new StatsCollector()
  private readonly defaultTtl: number | null
  private readonly onInvalidate: QueryCacheOptions['onInvalidate']
  private readonly access: StoreAccess
  private readonly tokens: Tokens
  private readonly entries: Entries
  private readonly telemetry: Telemetry
  private readonly flights: Flights

  constructor(options: QueryCacheOptions = {}) {
    const o = resolveCacheOptions(options)
    this.defaultTtl = o.ttl
    this.onInvalidate = o.onInvalidate
    this.namespace = o.namespace
    this.version = o.version
    this.codec = new Codec()
    for (const type of o.types) this.codec.register(type)
    // the near tier answers for the store it fronts, so the layout is that store's
    this.layout = new KeyLayout(o.namespace, o.version, o.store.slotGroups ?? 1)
    // the near cache connects as it is made: make it once nothing else can throw
    let store = o.store
    let near: NearTier | undefined
    if (o.nearCache) {
      near = new NearTier(nearChannel(store), o.namespace, o.nearCache, (error) =>
        this.access.report(error, 'channel', undefined),
      )
      store = nearDriver(store, near, this.layout.entriesRoot)
    }
    this.store = store
    this.telemetry = new Telemetry(o.namespace, o.telemetryKeys)
    this.access = new StoreAccess(store, this.counters, o.onError, o.timeoutMs, o.retryAfterMs)
    this.access.near = near
    this.access.telemetry = this.telemetry
    this.tokens = new Tokens(this.access, this.counters, o.retryAfterMs)
    this.entries = new Entries(
      this.codec,
      this.access,
      this.tokens,
      this.counters,
      o.maxEntryBytes,
      o.signer,
      this.telemetry,
      o.keepDecoded && new DecodedEntries(o.keepDecoded.entries, o.keepDecoded.bytes),
    )
    this.flights = new Flights(this.tokens, this.entries)
  }

  /** The value stored under `key`, or undefined when absent, expired or invalidated. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    checkKey(key)
    const started = this.telemetry.readStart()
    if (!this.access.guarded.available) {
      this.telemetry.read(started, key, 'bypass', undefined)
      return undefined
    }
    const { entry: entryKey, group } = this.layout.locate(key)
    const allToken = this.layout.allToken(group)
    // an entry still being written behind a miss is read once it is stored
    const storing = this.flights.storing(entryKey)
    if (storing) await storing
    const { read } = await this.lookup(key, entryKey, [allToken])
    if (read === undefined || read.state !== 'fresh') {
      if (read !== undefined) this.counters.miss(read.model)
      this.telemetry.read(started, key, 'miss', read?.model)
      return undefined
    }
    this.counters.hit(read.model)
    this.telemetry.read(started, key, 'hit', read.model)
    return read.value as T
  }

  /**
   * Stores `value` under `key`, depending on `models` and `tags` as they are now. Prefer getOrSet:
   * a value computed before a concurrent write and stored after it would be recorded as current.
   */
  async set(key: string, value: unknown, options: EntryOptions = {}): Promise<boolean> {
    checkKey(key)
    const { entry: entryKey, group } = this.layout.locate(key)
    const o = resolveEntryOptions(options, this.defaultTtl, this.layout, group)
    if (!(await this.tokens.usable(o.dependencies))) {
      this.counters.count('bypasses')
      return false
    }
    const observed = await this.access.tryStore('get', key, () =>
      this.store.getMany(o.dependencies),
    )
    if (!observed) return false
    const recorded = await this.tokens.ensure(o.dependencies, observed)
    if (!recorded) return false
    const encoded = this.entries.encode(key, value)
    if (!encoded) return false
    return this.entries.write(entryKey, key, encoded, o, recorded)
  }

  /**
   * The cached value for `key`, or the result of `fn` (stored for next time). One `fn` runs per
   * key per process at a time; concurrent callers share its result, each getting its own copy.
   */
  getOrSet<T>(key: string, fn: () => T | Promise<T>, options: EntryOptions = {}): Promise<T> {
    return this.readOrRun(key, fn, options, undefined)
  }

  /**
   * getOrSet, also saying how this one call was served: `hit`, `stale` (served, refreshing),
   * `miss` (`fn` ran, or a concurrent call's run was shared) or `bypass` (the store down or an
   * invalidation pending: `fn` ran, nothing was cached).
   */
  async getOrSetInfo<T>(
    key: string,
    fn: () => T | Promise<T>,
    options: EntryOptions = {},
  ): Promise<{ value: T; result: CallResult }> {
    let result: CallResult = 'miss'
    const value = await this.readOrRun(key, fn, options, (r) => {
      result = r
    })
    return { value, result }
  }

  private async readOrRun<T>(
    key: string,
    fn: () => T | Promise<T>,
    options: EntryOptions,
    served: ((result: CallResult) => void) | undefined,
  ): Promise<T> {
    checkKey(key)
    if (typeof fn !== 'function')
      throw new CacheOptionError(
        'getOrSet(key, fn): fn must be a function returning the value to cache',
      )
    const started = this.telemetry.readStart()
    const { entry: entryKey, group } = this.layout.locate(key)
    const o = resolveEntryOptions(options, this.defaultTtl, this.layout, group)
    const dependencies = o.dependencies
    const model = o.models[0]
    const usable = this.tokens.usable(dependencies)
    if (usable !== true && !(await usable)) {
      this.counters.count('bypasses')
      served?.('bypass')
      if (started === 0) return fn()
      const value = await fn()
      this.telemetry.read(started, key, 'bypass', model)
      return value
    }
    // a query for this entry has just returned and its entry is still to be written behind it:
    // issue that write now, so this read finds it, or shares that result while it is on its way
    const finished = this.flights.settle(entryKey)
    // one round trip: the entry and the current tokens of everything it should depend on
    const looked = this.lookup(key, entryKey, dependencies)
    const { observed, read } = looked instanceof Promise ? await looked : looked
    if (read !== undefined) {
      if (read.state === 'fresh') {
        this.counters.hit(model)
        served?.('hit')
        this.telemetry.read(started, key, 'hit', model)
        return read.value as T
      }
      if (read.state === 'stale') {
        this.counters.staleHit(model)
        if (!this.flights.has(entryKey)) {
          this.flights
            .start(entryKey, key, fn, o, observed)
            .catch((error) => this.access.report(error, 'refresh', key))
        }
        served?.('stale')
        this.telemetry.read(started, key, 'stale', model)
        return read.value as T
      }
    }
    // a query for this entry returned under the tokens read now, and its entry is (or was, if
    // it landed during this read's lookup) on its way to the store: this read is served that
    // result, as it would be from the entry
    const done = this.flights.joinable(entryKey, observed) ?? finished
    if (done?.stored && canJoin(done, observed)) {
      const copy = this.entries.ownCopy(key, await done.promise)
      if (copy !== NO_COPY) {
        this.counters.hit(model)
        served?.('hit')
        this.telemetry.read(started, key, 'hit', model)
        return copy as T
      }
    }
    this.counters.miss(model)
    served?.('miss')
    const value = await this.miss(key, entryKey, fn, o, observed)
    this.telemetry.read(started, key, 'miss', model)
    return value
  }

  private async miss<T>(
    key: string,
    entryKey: string,
    fn: () => T | Promise<T>,
    o: ResolvedEntryOptions,
    observed: (string | undefined)[] | undefined,
  ): Promise<T> {
    const flight = this.flights.joinable(entryKey, observed)
    if (flight) {
      const copy = this.entries.ownCopy(key, await flight.promise)
      // no copy of it to be had: this caller's own query, uncached
      return (copy === NO_COPY ? await fn() : copy) as T
    }
    return (await this.flights.start(entryKey, key, fn, o, observed)).value as T
  }

  /**
   * The entry under `entryKey` (undefined: none, or unreadable) and the current tokens of
   * `dependencies` (undefined: the store failed), in one round trip, or none from the near cache.
   */
  private lookup(key: string, entryKey: string, dependencies: string[]): Lookup | Promise<Lookup> {
    const found = this.access.readMany(key, [entryKey, ...dependencies])
    return found instanceof Promise
      ? found.then((f) => this.checked(key, entryKey, dependencies, f, true))
      : this.checked(key, entryKey, dependencies, found, true)
  }

  /**
   * The entry in `found` (entry, then tokens) checked against the current tokens; read again
   * once, from the store, when the near cache's copy was outdated. From a local store all of it
   * runs synchronously: a hit takes no promise and no microtask turn.
   */
  private checked(
    key: string,
    entryKey: string,
    dependencies: string[],
    found: (string | undefined)[] | undefined,
    first: boolean,
  ): Lookup | Promise<Lookup> {
    const observed = found?.slice(1)
    const raw = found?.[0]
    const read =
      raw === undefined ? undefined : this.entries.read(entryKey, raw, dependencies, observed!)
    const done = (r: EntryRead | undefined): Lookup | Promise<Lookup> => {
      // the near cache's copy is outdated, but another process may have stored a current one
      if (first && r?.state === 'dead' && this.access.near?.evict(entryKey)) {
        const again = this.access.readMany(key, [entryKey, ...dependencies])
        return again instanceof Promise
          ? again.then((f) => this.checked(key, entryKey, dependencies, f, false))
          : this.checked(key, entryKey, dependencies, again, false)
      }
      return { observed, read: r }
    }
    return read instanceof Promise ? read.then(done) : done(read)
  }

  /** Removes one entry. To drop derived results race-free, depend on a tag and invalidate it. */
  async delete(key: string): Promise<boolean> {
    checkKey(key)
    const started = this.telemetry.invalidateStart()
    const entryKey = this.layout.entry(key)
    this.flights.detach((_, k) => k === entryKey)
    // an entry still being written behind a miss would otherwise land after this delete
    await this.entries.flush()
    const ok = await this.access.tryStore('delete', key, () =>
      this.store.deleteMany([entryKey]).then(() => true),
    )
    if (!ok) return false
    this.counters.count('invalidations')
    this.telemetry.invalidate(started, 'delete', [], [], key)
    return true
  }

  /**
   * Removes every entry whose user key matches a Redis-style glob (`*`, `?`, `[a-z]`). Scans this
   * namespace only; returns how many entries were removed.
   */
  async deletePattern(pattern: string): Promise<number> {
    if (typeof pattern !== 'string' || pattern.length === 0)
      throw new CacheOptionError(
        'deletePattern(pattern): pattern must be a non-empty glob string, e.g. "article:*"',
      )
    const matches = compileGlob(pattern)
    if (!this.store.scan) {
      throw new QueryCacheError(
        'QC_UNSUPPORTED',
        `deletePattern needs a store that can list its keys; "${this.store.name}" cannot (use the memory store, Redis, or a Keyv store with an iterator)`,
      )
    }
    const started = this.telemetry.invalidateStart()
    this.flights.detach((f) => matches(f.userKey))
    await this.entries.flush()
    let removed = 0
    for await (const batch of this.access.scanKeys(this.layout.entryPrefix, pattern)) {
      const values = await this.access.tryStore('scan', pattern, () => this.store.getMany(batch))
      if (!values) continue
      const doomed = batch.filter((_, i) => {
        const userKey = values[i] === undefined ? undefined : peekUserKey(values[i]!)
        return userKey !== undefined && matches(userKey)
      })
      if (doomed.length === 0) continue
      if (
        await this.access.tryStore('delete', pattern, () =>
          this.store.deleteMany(doomed).then(() => true),
        )
      )
        removed += doomed.length
    }
    this.counters.count('invalidations')
    this.telemetry.invalidate(started, 'pattern', [], [], pattern)
    return removed
  }

  /** Drops everything in this namespace (all versions) and nothing outside it. */
  async clear(): Promise<void> {
    // Rotating the namespace token kills every entry at once, in every process, even on stores
    // that cannot list keys; the sweep then frees the space.
    const started = this.telemetry.invalidateStart()
    await this.invalidateTokenKeys(this.layout.everyAllToken(), true)
    await this.entries.flush() // what lands after the sweep is dead (its token rotated) but kept
    for await (const batch of this.access.scanKeys(this.layout.entriesRoot, undefined)) {
      await this.access.tryStore('delete', undefined, () => this.store.deleteMany(batch))
    }
    this.telemetry.invalidate(started, 'clear', [], [])
  }

  async invalidateModel(model: string): Promise<void> {
    return this.invalidateModels([model])
  }

  async invalidateModels(models: readonly string[]): Promise<void> {
    const names = checkNames(models, 'invalidateModels')
    if (names.length === 0) return
    const started = this.telemetry.invalidateStart()
    await this.invalidateTokenKeys(this.layout.everyModel(names))
    this.telemetry.invalidate(started, 'models', names, [])
    this.notifyInvalidate({ models: names, tags: [] })
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    const names = checkNames(tags, 'invalidateTags')
    if (names.length === 0) return
    const started = this.telemetry.invalidateStart()
    await this.invalidateTokenKeys(this.layout.everyTag(names))
    this.telemetry.invalidate(started, 'tags', [], names)
    this.notifyInvalidate({ models: [], tags: names })
  }

  private notifyInvalidate(event: InvalidationEvent): void {
    try {
      this.onInvalidate?.(event)
    } catch {
      // a listener's failure is not the cache's
    }
  }

  /** Counts a read an adapter sent straight to the database (in a transaction, or opted out). */
  recordBypass(): void {
    this.counters.count('bypasses')
  }

  stats(): CacheStats
  stats(model: string): ModelStats
  stats(model?: string): CacheStats | ModelStats {
    if (model !== undefined) return this.counters.forModel(model)
    const near = this.access.near
    return near ? { ...this.counters.snapshot(), near: near.stats() } : this.counters.snapshot()
  }

  resetStats(): void {
    this.counters.reset()
  }

  /**
   * Waits until the entries of the reads that missed so far are stored. A miss hands its result
   * to its caller first and writes the entry behind it (a read right after may miss, never be
   * wrong); call this where the next step relies on the entry being there (another process
   * reading it, a serverless function about to freeze). `close()` does it too.
   */
  flush(): Promise<void> {
    return this.entries.flush()
  }

  /**
   * Stops retry timers and closes the store driver: connections querycache opened itself, and the
   * Keyv store it was given unless `closeStore: false`.
   */
  async close(): Promise<void> {
    // entries still being written behind their callers' results land first
    await this.entries.flush()
    this.tokens.close()
    await this.store.close?.()
  }

  private invalidateTokenKeys(keys: string[], all = false): Promise<void> {
    // A read that starts from now on must not join a flight that began before this write.
    this.flights.detach((f) => all || f.dependencies.some((d) => keys.includes(d)))
    return this.tokens.invalidate(keys)
  }
}

export function createQueryCache(options: QueryCacheOptions = {}): QueryCache {
  return new QueryCache(options)
}
