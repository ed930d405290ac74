import { randomUUID } from 'node:crypto'
import { Codec, type CodecType, type Encoded } from './codec.js'
import { decodePayload, type Entry, parseEntry, peekUserKey, serializeEntry } from './entry.js'
import { CacheOptionError, CodecError, CorruptEntryError, QueryCacheError } from './errors.js'
import { compileGlob } from './glob.js'
import { KeyLayout } from './keys.js'
import { checkKey, checkNames, checkNonNegative, checkPositive, checkTtl } from './options.js'
import { type CacheStats, type ModelStats, StatsCollector } from './stats.js'
import { GuardedStore, type StoreOperation } from './stores/guarded.js'
import { isKeyvLike, type KeyvLike, keyvStore } from './stores/keyv.js'
import { memoryStore } from './stores/memory.js'
import type { StoreDriver } from './stores/types.js'

export type ErrorOperation = StoreOperation | 'encode' | 'decode' | 'refresh'

export interface ErrorContext {
  operation: ErrorOperation
  /** The user key (never a store key) the operation was about, when there is one. */
  key?: string
  store: string
}

export interface QueryCacheOptions {
  /** A store driver, a Keyv instance or a Keyv store adapter. Default: `memoryStore()`. */
  store?: StoreDriver | KeyvLike | undefined
  /** Prefix of every store key. Letters, digits, `_`, `-`, `.`. Default `"qc"`. */
  namespace?: string | undefined
  /** Default TTL in seconds; `null` keeps entries until invalidated. Default 60. */
  ttl?: number | null | undefined
  /** Key schema version; bump it to orphan every entry written by older code. Default 1. */
  version?: number | undefined
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

interface ResolvedEntryOptions {
  ttl: number | null
  swr: number
  models: readonly string[]
  tags: readonly string[]
}

interface FlightResult {
  value: unknown
  encoded: Encoded | undefined
}

interface Flight {
  userKey: string
  dependencies: string[]
  /** Token values read before the flight began (undefined: the store could not be read). */
  observed: (string | undefined)[] | undefined
  /** Token values the entry will be stored with (missing tokens filled in). */
  recorded: string[] | undefined
  /** Set when an invalidation or delete made this flight's result unfit to store or to join. */
  detached: boolean
  promise: Promise<FlightResult>
}

interface PendingInvalidation {
  seq: number
  failed: boolean
}

const NAMESPACE_RE = /^[A-Za-z0-9_.-]{1,64}$/

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

  private readonly guarded: GuardedStore
  private readonly layout: KeyLayout
  private readonly counters = new StatsCollector()
  private readonly defaultTtl: number | null
  private readonly maxEntryBytes: number
  private readonly retryAfterMs: number
  private readonly onError: QueryCacheOptions['onError']
  private readonly onInvalidate: QueryCacheOptions['onInvalidate']
  private readonly flights = new Map<string, Flight>()
  /** Token keys whose invalidation is being written or failed; reads depending on them bypass. */
  private readonly pending = new Map<string, PendingInvalidation>()
  /** Missing tokens being created by this process, so concurrent cold reads agree on one. */
  private readonly creatingTokens = new Map<string, Promise<string>>()
  private seq = 0
  private retrying: Promise<void> | undefined
  private retryTimer: NodeJS.Timeout | undefined

  constructor(options: QueryCacheOptions = {}) {
    const namespace = options.namespace ?? 'qc'
    if (!NAMESPACE_RE.test(namespace)) {
      throw new CacheOptionError(
        `namespace must be 1–64 letters, digits, "_", "-" or "."; got ${JSON.stringify(namespace)}`,
      )
    }
    const version = options.version ?? 1
    if (!Number.isInteger(version) || version < 1)
      throw new CacheOptionError(`version must be a positive integer; got ${version}`)
    this.defaultTtl = checkTtl(options.ttl === undefined ? 60 : options.ttl, 'ttl')
    this.maxEntryBytes = checkPositive(options.maxEntryBytes ?? 1024 * 1024, 'maxEntryBytes')
    const timeoutMs = checkPositive(options.timeoutMs ?? 200, 'timeoutMs')
    this.retryAfterMs = checkPositive(options.retryAfterMs ?? 1000, 'retryAfterMs')
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new CacheOptionError('onError must be a function (error, context) => void')
    }
    this.onError = options.onError
    if (options.onInvalidate !== undefined && typeof options.onInvalidate !== 'function') {
      throw new CacheOptionError('onInvalidate must be a function ({ models, tags }) => void')
    }
    this.onInvalidate = options.onInvalidate
    this.namespace = namespace
    this.version = version
    this.store = resolveStore(options.store)
    this.layout = new KeyLayout(namespace, version)
    this.codec = new Codec()
    for (const type of options.types ?? []) this.codec.register(type)
    this.guarded = new GuardedStore(this.store, {
      timeoutMs,
      retryAfterMs: this.retryAfterMs,
      report: (error, operation, key) => this.report(error, operation, key),
    })
  }

  /** The value stored under `key`, or undefined when absent, expired or invalidated. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    checkKey(key)
    if (!this.guarded.available) return undefined
    const entryKey = this.layout.entry(key)
    const found = await this.tryStore('get', key, () =>
      this.store.getMany([entryKey, this.layout.allToken]),
    )
    const raw = found?.[0]
    if (raw === undefined) return undefined
    const read = await this.readEntry(entryKey, raw, [this.layout.allToken], [found![1]])
    if (read?.state !== 'fresh') {
      this.counters.miss(read?.model)
      return undefined
    }
    this.counters.hit(read.model)
    return read.value as T
  }

  /**
   * Stores `value` under `key`, depending on `models` and `tags` as they are now. Prefer getOrSet:
   * a value computed before a concurrent write and stored after it would be recorded as current.
   */
  async set(key: string, value: unknown, options: EntryOptions = {}): Promise<boolean> {
    checkKey(key)
    const o = this.resolveEntryOptions(options)
    const dependencies = this.dependencyKeys(o)
    if (!(await this.usable(dependencies))) {
      this.counters.count('bypasses')
      return false
    }
    const observed = await this.tryStore('get', key, () => this.store.getMany(dependencies))
    if (!observed) return false
    const recorded = await this.ensureTokens(dependencies, observed)
    if (!recorded) return false
    const encoded = this.encode(key, value)
    if (!encoded) return false
    return this.writeEntry(this.layout.entry(key), key, encoded, o, dependencies, recorded)
  }

  /**
   * The cached value for `key`, or the result of `fn` (stored for next time). One `fn` runs per
   * key per process at a time; concurrent callers share its result, each getting its own copy.
   */
  async getOrSet<T>(key: string, fn: () => T | Promise<T>, options: EntryOptions = {}): Promise<T> {
    checkKey(key)
    if (typeof fn !== 'function')
      throw new CacheOptionError(
        'getOrSet(key, fn): fn must be a function returning the value to cache',
      )
    const o = this.resolveEntryOptions(options)
    const dependencies = this.dependencyKeys(o)
    const model = o.models[0]
    if (!(await this.usable(dependencies))) {
      this.counters.count('bypasses')
      return fn()
    }
    const entryKey = this.layout.entry(key)
    // one round trip: the entry and the current tokens of everything it should depend on
    const found = await this.tryStore('get', key, () =>
      this.store.getMany([entryKey, ...dependencies]),
    )
    const observed = found?.slice(1)
    const raw = found?.[0]
    if (raw !== undefined) {
      const read = await this.readEntry(entryKey, raw, dependencies, observed!)
      if (read?.state === 'fresh') {
        this.counters.hit(model)
        return read.value as T
      }
      if (read?.state === 'stale') {
        this.counters.staleHit(model)
        if (!this.flights.has(entryKey)) {
          this.startFlight(entryKey, key, fn, o, dependencies, observed).catch((error) =>
            this.report(error, 'refresh', key),
          )
        }
        return read.value as T
      }
    }
    this.counters.miss(model)
    const flight = this.flights.get(entryKey)
    // Join only a flight that began under the tokens we just read: if a write was invalidated
    // since it began (here or in another process), its result may predate that write. When the
    // store could not be read, nothing proves that, so this call runs its own query.
    if (
      flight &&
      !flight.detached &&
      observed !== undefined &&
      (sameTokens(observed, flight.observed) || sameTokens(observed, flight.recorded))
    ) {
      const shared = await flight.promise
      return (shared.encoded ? this.decodeOwnCopy(key, shared) : shared.value) as T
    }
    return (await this.startFlight(entryKey, key, fn, o, dependencies, observed)).value as T
  }

  /** Removes one entry. To drop derived results race-free, depend on a tag and invalidate it. */
  async delete(key: string): Promise<boolean> {
    checkKey(key)
    const entryKey = this.layout.entry(key)
    this.detachFlights((_, k) => k === entryKey)
    const ok = await this.tryStore('delete', key, () =>
      this.store.deleteMany([entryKey]).then(() => true),
    )
    if (!ok) return false
    this.counters.count('invalidations')
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
    this.detachFlights((f) => matches(f.userKey))
    let removed = 0
    for await (const batch of this.scanKeys(this.layout.entryPrefix, pattern)) {
      const values = await this.tryStore('scan', pattern, () => this.store.getMany(batch))
      if (!values) continue
      const doomed = batch.filter((_, i) => {
        const userKey = values[i] === undefined ? undefined : peekUserKey(values[i]!)
        return userKey !== undefined && matches(userKey)
      })
      if (doomed.length === 0) continue
      if (
        await this.tryStore('delete', pattern, () => this.store.deleteMany(doomed).then(() => true))
      )
        removed += doomed.length
    }
    this.counters.count('invalidations')
    return removed
  }

  /** Drops everything in this namespace (all versions) and nothing outside it. */
  async clear(): Promise<void> {
    // Rotating the namespace token kills every entry at once, in every process, even on stores
    // that cannot list keys; the sweep then frees the space.
    await this.invalidateTokenKeys([this.layout.allToken])
    for await (const batch of this.scanKeys(this.layout.entriesRoot, undefined)) {
      await this.tryStore('delete', undefined, () => this.store.deleteMany(batch))
    }
  }

  async invalidateModel(model: string): Promise<void> {
    return this.invalidateModels([model])
  }

  async invalidateModels(models: readonly string[]): Promise<void> {
    const names = checkNames(models, 'invalidateModels')
    if (names.length === 0) return
    await this.invalidateTokenKeys(names.map((m) => this.layout.model(m)))
    this.notifyInvalidate({ models: names, tags: [] })
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    const names = checkNames(tags, 'invalidateTags')
    if (names.length === 0) return
    await this.invalidateTokenKeys(names.map((t) => this.layout.tag(t)))
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
    return model === undefined ? this.counters.snapshot() : this.counters.forModel(model)
  }

  resetStats(): void {
    this.counters.reset()
  }

  /** Stops retry timers and closes a store connection querycache opened itself. */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    await this.store.close?.()
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private resolveEntryOptions(options: EntryOptions): ResolvedEntryOptions {
    if (typeof options !== 'object' || options === null)
      throw new CacheOptionError('cache options must be an object like { ttl, models, tags, swr }')
    const ttl = options.ttl === undefined ? this.defaultTtl : checkTtl(options.ttl, 'ttl')
    const swr = options.swr === undefined ? 0 : checkNonNegative(options.swr, 'swr')
    const models = options.models === undefined ? [] : checkNames(options.models, 'models')
    const tags = options.tags === undefined ? [] : checkNames(options.tags, 'tags')
    return { ttl, swr, models, tags }
  }

  private dependencyKeys(o: ResolvedEntryOptions): string[] {
    const keys = [this.layout.allToken]
    for (const m of o.models) keys.push(this.layout.model(m))
    for (const t of o.tags) keys.push(this.layout.tag(t))
    return keys.length > 2 ? [...new Set(keys)] : keys
  }

  /** False when the cache must be bypassed for these dependencies (store down, invalidation pending). */
  private async usable(dependencies: string[]): Promise<boolean> {
    if (!this.guarded.available) return false
    if (this.pending.size === 0) return true
    if (!dependencies.some((d) => this.pending.has(d))) return true
    await this.retryFailedInvalidations()
    return !dependencies.some((d) => this.pending.has(d))
  }

  /** Batches of keys under `prefix`, each step bounded by the timeout; stops quietly on failure. */
  private async *scanKeys(prefix: string, userKey: string | undefined): AsyncGenerator<string[]> {
    if (!this.store.scan) return
    const iterator = this.store.scan(prefix)[Symbol.asyncIterator]()
    try {
      while (true) {
        const step = await this.tryStore('scan', userKey, () => iterator.next())
        if (!step) return
        if (step.done) return
        yield step.value
      }
    } finally {
      // don't await: a hung store must not hang the caller
      void Promise.resolve(iterator.return?.()).catch(() => {})
    }
  }

  private async tryStore<T>(
    operation: StoreOperation,
    key: string | undefined,
    call: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await this.guarded.run(operation, key, call)
    } catch {
      return undefined // already reported by the guard
    }
  }

  private async readEntry(
    entryKey: string,
    raw: string,
    known: string[],
    current: (string | undefined)[],
  ): Promise<
    { state: 'fresh' | 'stale' | 'dead'; value?: unknown; model: string | undefined } | undefined
  > {
    let entry: Entry
    let value: unknown
    try {
      entry = parseEntry(raw)
      // an invalidation of one of its dependencies is being written or failed: not servable here
      if (this.pending.size > 0 && entry.dependencies.some((d) => this.pending.has(d)))
        return { state: 'dead', model: entry.model ?? undefined }
      const tokens = await this.currentTokens(entry.dependencies, known, current)
      if (!tokens) return undefined
      for (let i = 0; i < entry.tokens.length; i++) {
        if (tokens[i] !== entry.tokens[i]) return { state: 'dead', model: entry.model ?? undefined }
      }
      const now = Date.now()
      const state =
        entry.expiresAt === null || now < entry.expiresAt
          ? 'fresh'
          : entry.staleUntil !== null && now < entry.staleUntil
            ? 'stale'
            : 'dead'
      if (state === 'dead') return { state, model: entry.model ?? undefined }
      value = decodePayload(this.codec, entry)
      return { state, value, model: entry.model ?? undefined }
    } catch (error) {
      if (!(error instanceof CorruptEntryError)) throw error
      this.counters.count('corrupt')
      this.report(error, 'decode', undefined)
      await this.tryStore('delete', undefined, () => this.store.deleteMany([entryKey]))
      return undefined
    }
  }

  /** Current tokens for an entry's dependencies, reading only those not already in hand. */
  private async currentTokens(
    dependencies: string[],
    known: string[],
    current: (string | undefined)[],
  ): Promise<(string | undefined)[] | undefined> {
    const out: (string | undefined)[] = new Array(dependencies.length)
    const missing: number[] = []
    for (let i = 0; i < dependencies.length; i++) {
      const at = known.indexOf(dependencies[i]!)
      if (at === -1) missing.push(i)
      else out[i] = current[at]
    }
    if (missing.length > 0) {
      const fetched = await this.tryStore('get', undefined, () =>
        this.store.getMany(missing.map((i) => dependencies[i]!)),
      )
      if (!fetched) return undefined
      missing.forEach((i, j) => {
        out[i] = fetched[j]
      })
    }
    return out
  }

  private startFlight(
    entryKey: string,
    userKey: string,
    fn: () => unknown,
    o: ResolvedEntryOptions,
    dependencies: string[],
    observed: (string | undefined)[] | undefined,
  ): Promise<FlightResult> {
    const flight: Flight = {
      userKey,
      dependencies,
      observed,
      recorded: undefined,
      detached: false,
      promise: undefined as never,
    }
    flight.promise = (async () => {
      try {
        // Tokens are fixed before the query runs: a write that commits while it runs rotates them.
        const recorded = observed ? await this.ensureTokens(dependencies, observed) : undefined
        flight.recorded = recorded
        const value = await fn()
        const encoded = this.encode(userKey, value)
        if (encoded && recorded && !flight.detached)
          await this.writeEntry(entryKey, userKey, encoded, o, dependencies, recorded)
        return { value, encoded }
      } finally {
        if (this.flights.get(entryKey) === flight) this.flights.delete(entryKey)
      }
    })()
    this.flights.set(entryKey, flight)
    return flight.promise
  }

  private async ensureTokens(
    dependencies: string[],
    observed: (string | undefined)[],
  ): Promise<string[] | undefined> {
    if (!observed.includes(undefined)) return observed as string[]
    try {
      return await Promise.all(dependencies.map((key, i) => observed[i] ?? this.createToken(key)))
    } catch {
      return undefined
    }
  }

  private createToken(key: string): Promise<string> {
    let creating = this.creatingTokens.get(key)
    if (!creating) {
      const token = randomUUID()
      creating = this.guarded
        .run('set', undefined, () => this.store.set(key, token))
        .then(() => token)
        .finally(() => this.creatingTokens.delete(key))
      this.creatingTokens.set(key, creating)
    }
    return creating
  }

  private encode(userKey: string, value: unknown): Encoded | undefined {
    try {
      return this.codec.encode(value)
    } catch (error) {
      this.counters.count('skipped')
      this.report(
        error instanceof CodecError ? error : new CodecError(String(error), { cause: error }),
        'encode',
        userKey,
      )
      return undefined
    }
  }

  private decodeOwnCopy(userKey: string, shared: FlightResult): unknown {
    try {
      return this.codec.decode(shared.encoded!.json, shared.encoded!.tagged)
    } catch (error) {
      this.report(error, 'decode', userKey)
      return shared.value
    }
  }

  private async writeEntry(
    entryKey: string,
    userKey: string,
    encoded: Encoded,
    o: ResolvedEntryOptions,
    dependencies: string[],
    recorded: string[],
  ): Promise<boolean> {
    const now = Date.now()
    const expiresAt = o.ttl === null ? null : now + o.ttl * 1000
    const staleUntil = expiresAt === null || o.swr === 0 ? null : expiresAt + o.swr * 1000
    const raw = serializeEntry(
      {
        userKey,
        model: o.models[0] ?? null,
        dependencies,
        tokens: recorded,
        expiresAt,
        staleUntil,
      },
      encoded.json,
      encoded.tagged,
    )
    // length is a lower bound of the UTF-8 size; only measure exactly when it could matter
    if (raw.length > this.maxEntryBytes / 3 && Buffer.byteLength(raw) > this.maxEntryBytes) {
      this.counters.count('skipped')
      return false
    }
    const ttlMs =
      staleUntil !== null ? staleUntil - now : expiresAt !== null ? expiresAt - now : undefined
    const ok = await this.tryStore('set', userKey, () =>
      this.store.set(entryKey, raw, ttlMs).then(() => true),
    )
    if (!ok) return false
    this.counters.count('sets')
    return true
  }

  private detachFlights(match: (flight: Flight, entryKey: string) => boolean): void {
    for (const [entryKey, flight] of this.flights) {
      if (match(flight, entryKey)) {
        flight.detached = true
        this.flights.delete(entryKey)
      }
    }
  }

  private async invalidateTokenKeys(keys: string[]): Promise<void> {
    const all = keys.includes(this.layout.allToken)
    // A read that starts from now on must not join a flight that began before this write.
    this.detachFlights((f) => all || f.dependencies.some((d) => keys.includes(d)))
    const seq = ++this.seq
    for (const key of keys) this.pending.set(key, { seq, failed: false })
    const ok = await this.writeTokens(keys)
    for (const key of keys) {
      const p = this.pending.get(key)
      if (p?.seq !== seq) continue
      if (ok) this.pending.delete(key)
      else p.failed = true
    }
    this.counters.count('invalidations')
    if (!ok) this.scheduleRetry()
  }

  private async writeTokens(keys: string[]): Promise<boolean> {
    try {
      // Fresh random tokens, never reused: a token evicted and re-created can't match an old entry.
      await Promise.all(
        keys.map((key) =>
          this.guarded.run('invalidate', undefined, () => this.store.set(key, randomUUID())),
        ),
      )
      return true
    } catch {
      return false
    }
  }

  private retryFailedInvalidations(): Promise<void> {
    if (this.retrying) return this.retrying
    const failed = [...this.pending].filter(([, p]) => p.failed).map(([key]) => key)
    if (failed.length === 0 || !this.guarded.available) return Promise.resolve()
    this.retrying = (async () => {
      const seq = ++this.seq
      for (const key of failed) this.pending.set(key, { seq, failed: true })
      const ok = await this.writeTokens(failed)
      for (const key of failed)
        if (ok && this.pending.get(key)?.seq === seq) this.pending.delete(key)
      if (!ok) this.scheduleRetry()
    })().finally(() => {
      this.retrying = undefined
    })
    return this.retrying
  }

  /** Failed invalidations are retried in the background too, so other processes stop serving stale data soon after the store returns. */
  private scheduleRetry(): void {
    if (this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.retryFailedInvalidations().then(() => {
        if ([...this.pending.values()].some((p) => p.failed)) this.scheduleRetry()
      })
    }, this.retryAfterMs)
    this.retryTimer.unref()
  }

  private report(error: unknown, operation: ErrorOperation, key: string | undefined): void {
    this.counters.count('errors')
    if (!this.onError) return
    const wrapped =
      error instanceof QueryCacheError
        ? error
        : new QueryCacheError('QC_UNKNOWN', String((error as Error)?.message ?? error), {
            cause: error,
          })
    try {
      this.onError(
        wrapped,
        key === undefined
          ? { operation, store: this.store.name }
          : { operation, key, store: this.store.name },
      )
    } catch {
      // a throwing onError must not turn a cache problem into a query failure
    }
  }
}

export function createQueryCache(options: QueryCacheOptions = {}): QueryCache {
  return new QueryCache(options)
}

function resolveStore(store: QueryCacheOptions['store']): StoreDriver {
  if (store === undefined) return memoryStore()
  if (isStoreDriver(store)) return store
  if (isKeyvLike(store)) return keyvStore(store)
  throw new CacheOptionError(
    'store must be a querycache store (memoryStore(), defineStore(...)), a Keyv instance, or a Keyv store adapter such as new KeyvRedis(url)',
  )
}

function isStoreDriver(value: unknown): value is StoreDriver {
  const v = value as Partial<StoreDriver> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    typeof v.getMany === 'function' &&
    typeof v.set === 'function' &&
    typeof v.deleteMany === 'function'
  )
}

function sameTokens(
  a: readonly (string | undefined)[],
  b: readonly (string | undefined)[] | undefined,
): boolean {
  if (!b || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
