import { randomUUID } from 'node:crypto'
import type { LRUCache } from 'lru-cache'
import { CacheOptionError, StoreError } from './errors.js'
import { checkFunction, checkPositive } from './options.js'
import { boundedLru } from './stores/memory.js'
import type { StoreChannel, StoreDriver, Subscription } from './stores/types.js'

export interface NearCacheOptions {
  /** Most strings (entries and generation tokens) kept in this process. Default 10 000. */
  maxEntries?: number | undefined
  /** Most bytes kept, counted like the memory store. Default 64 MiB. */
  maxBytes?: number | undefined
  /**
   * Seconds a string is kept before it is read from the remote store again, whatever it says.
   * This bounds the one case no message covers: a writer that dies between writing its
   * invalidation and publishing it. Default 10.
   */
  maxAge?: number | undefined
  /**
   * How often (ms) this process sends itself a message through the channel. The tier is trusted
   * only while those arrive: after `2 × heartbeatMs` without one it is emptied and reads go to
   * the remote store until one arrives again. Default 500.
   */
  heartbeatMs?: number | undefined
  /**
   * Called for each invalidation message this process published (once Redis took it) or applied
   * (once its keys were dropped here), e.g. to measure how long messages take to arrive. `from`
   * and `seq` identify a message in both events; `at` is epoch milliseconds, sub-millisecond.
   */
  onMessage?: ((event: NearCacheMessage) => void) | undefined
}

export interface NearCacheMessage {
  kind: 'published' | 'applied'
  /** The publishing process's near cache id. */
  from: string
  seq: number
  /** How many store keys it invalidated. */
  keys: number
  at: number
}

export interface NearCacheStats {
  /** Reads answered from process memory alone (entry and every token it depends on). */
  hits: number
  /** Invalidation messages from other processes applied. */
  messages: number
  /** Times the tier was emptied because its channel was down, silent or unreadable. */
  flushes: number
  /** Whether reads may be answered from process memory now. */
  trusted: boolean
  entries: number
  bytes: number
}

/** Reads that began before this many invalidations were forgotten may not fill the tier. */
const MAX_REMEMBERED_INVALIDATIONS = 10_000

/**
 * The near cache: the remote store's strings, kept in process memory, in front of it.
 *
 * Whether a string may be kept: every process publishes the keys it invalidates (rotated tokens,
 * deleted entries) on the namespace's channel once the remote store holds the change, and drops
 * them here before and after writing them. A read from the remote store fills the tier only if
 * none of its keys was invalidated since the read began (a slow read must not bring back what an
 * invalidation removed). While the channel is not known to deliver (not yet subscribed, dropped,
 * or silent: this process's own heartbeats stop arriving) the tier answers nothing and is
 * emptied, so a message lost meanwhile cannot leave a stale string behind.
 */
export class NearTier {
  readonly id = randomUUID()
  private readonly lru: LRUCache<string, string>
  private readonly maxAgeMs: number
  private readonly heartbeatMs: number
  private readonly channelName: string
  private readonly beatChannel: string
  // invalidation bookkeeping: see `fillable`
  private seq = 0
  private floor = 0
  private readonly invalidatedAt = new Map<string, number>()
  // channel health
  private trustedNow = false
  private lastBeatAt = 0
  private beatsSent = 0
  private beatsSentWhenDown = 0
  private downSince = performance.now()
  private beatSentAt: number | undefined
  /** The subscription being made, if one is. */
  private subscribing: Promise<void> | undefined
  /** The subscription made, until it is replaced or closed. */
  private subscription: Subscription | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private readonly closing = new AbortController()
  private failedSubscribes = 0
  private readonly counts = { hits: 0, messages: 0, flushes: 0 }
  private published = 0
  private readonly onMessageHook: NearCacheOptions['onMessage']

  constructor(
    private readonly channel: StoreChannel,
    namespace: string,
    options: NearCacheOptions,
    private readonly report: (error: unknown) => void,
  ) {
    this.lru = boundedLru(
      { maxEntries: options.maxEntries ?? 10_000, maxBytes: options.maxBytes ?? 64 * 1024 * 1024 },
      'nearCache',
    ).lru
    this.maxAgeMs = checkPositive(options.maxAge ?? 10, 'nearCache.maxAge') * 1000
    this.heartbeatMs = checkPositive(options.heartbeatMs ?? 500, 'nearCache.heartbeatMs')
    checkFunction(options.onMessage, 'nearCache.onMessage', '(event) => void')
    this.onMessageHook = options.onMessage
    this.channelName = `${namespace}:near`
    this.beatChannel = `${namespace}:near:${this.id}`
    this.subscribe()
    this.timer = setInterval(() => this.beat(), this.heartbeatMs)
    this.timer.unref()
    this.beat()
  }

  /** Whether reads may be answered from process memory: the channel delivered recently. */
  get trusted(): boolean {
    if (!this.trustedNow) return false
    if (performance.now() - this.lastBeatAt > 2 * this.heartbeatMs) {
      this.distrust()
      return false
    }
    return true
  }

  /** Every key's value from process memory, or undefined unless all are here and trusted. */
  peek(keys: readonly string[]): (string | undefined)[] | undefined {
    if (!this.trusted) return undefined
    const out: (string | undefined)[] = new Array(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const v = this.lru.get(keys[i]!)
      if (v === undefined) return undefined
      out[i] = v
    }
    this.counts.hits++
    return out
  }

  /** What this process may read here, if anything: undefined while untrusted. */
  local(key: string): string | undefined {
    return this.trustedNow ? this.lru.get(key) : undefined
  }

  /** Drops `key` from this process only (an entry found outdated); true if it was here. */
  evict(key: string): boolean {
    return this.lru.delete(key)
  }

  /** A mark taken before a remote read or write, for `fill`. */
  begin(): number {
    return this.seq
  }

  /** Keeps `value` read or written remotely since `mark`, unless `key` was invalidated since. */
  fill(key: string, value: string, mark: number, ttlMs?: number): void {
    if (!this.trustedNow || !this.fillable(key, mark)) return
    const ttl = ttlMs === undefined ? this.maxAgeMs : Math.min(this.maxAgeMs, ttlMs)
    this.lru.set(key, value, { ttl: Math.max(1, Math.ceil(ttl)) })
  }

  /** Drops `keys` here; a remote read that began before this cannot put them back. */
  forget(keys: readonly string[]): void {
    const seq = ++this.seq
    if (this.invalidatedAt.size + keys.length > MAX_REMEMBERED_INVALIDATIONS) {
      // forget the bookkeeping instead: every read begun before now is refused
      this.invalidatedAt.clear()
      this.floor = seq
    } else for (const key of keys) this.invalidatedAt.set(key, seq)
    for (const key of keys) this.lru.delete(key)
  }

  /** Tells every other process to forget `keys`. */
  async publish(keys: readonly string[]): Promise<void> {
    const seq = ++this.published
    await this.channel.publish(this.channelName, JSON.stringify([this.id, seq, keys]))
    this.emit('published', this.id, seq, keys.length)
  }

  private emit(kind: NearCacheMessage['kind'], from: string, seq: number, keys: number): void {
    if (!this.onMessageHook) return
    try {
      this.onMessageHook({ kind, from, seq, keys, at: performance.timeOrigin + performance.now() })
    } catch {
      // a listener's failure is not the cache's
    }
  }

  stats(): NearCacheStats {
    return {
      ...this.counts,
      trusted: this.trusted,
      entries: this.lru.size,
      bytes: this.lru.calculatedSize,
    }
  }

  /** Stops the heartbeats and closes the subscription; one still being made closes itself. */
  async close(): Promise<void> {
    this.closed = true
    this.closing.abort()
    clearInterval(this.timer)
    this.flush()
    const subscription = this.subscription
    this.subscription = undefined
    await subscription?.close()
  }

  private fillable(key: string, mark: number): boolean {
    if (mark < this.floor) return false
    const at = this.invalidatedAt.get(key)
    return at === undefined || at <= mark
  }

  private flush(): void {
    this.lru.clear()
    this.invalidatedAt.clear()
    this.floor = ++this.seq
  }

  private distrust(): void {
    if (this.trustedNow) {
      this.counts.flushes++
      this.downSince = performance.now()
    }
    this.trustedNow = false
    this.flush()
    // only a heartbeat sent after this moment proves the channel delivers again
    this.beatsSentWhenDown = this.beatsSent
  }

  private onMessage(message: string, channel: string): void {
    if (channel === this.beatChannel) {
      const n = Number(message)
      this.lastBeatAt = performance.now()
      if (!this.trustedNow && n > this.beatsSentWhenDown) {
        // everything published before this beat has arrived or was lost: start empty
        this.flush()
        this.trustedNow = true
      }
      return
    }
    if (channel !== this.channelName) return
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch {
      parsed = undefined
    }
    const [from, seq, keys] = Array.isArray(parsed) ? parsed : []
    if (
      typeof from !== 'string' ||
      typeof seq !== 'number' ||
      !Array.isArray(keys) ||
      !keys.every((k) => typeof k === 'string')
    ) {
      // unreadable: what it invalidated is unknown, so forget everything
      this.report(new StoreError('QC_STORE_FAILED', 'near cache: unreadable invalidation message'))
      if (this.trustedNow) this.counts.flushes++
      this.flush()
      return
    }
    if (from === this.id) return // applied before it was sent
    this.counts.messages++
    this.forget(keys as string[])
    this.emit('applied', from, seq, keys.length)
  }

  /** Makes a subscription unless one is made or being made. */
  private subscribe(): void {
    if (this.subscription || this.subscribing || this.closed) return
    const attempt = this.channel
      .subscribe(
        [this.channelName, this.beatChannel],
        (message, channel) => this.onMessage(message, channel),
        () => this.distrust(),
        this.closing.signal,
      )
      .then(
        async (s) => {
          if (this.closed) return s.close()
          this.failedSubscribes = 0
          this.subscription = s
          this.beat() // the sooner a beat arrives, the sooner the tier is trusted
        },
        (error) => {
          // reported once per outage, not at every heartbeat
          if (++this.failedSubscribes === 1) this.report(error)
        },
      )
      .finally(() => {
        if (this.subscribing === attempt) this.subscribing = undefined
      })
    this.subscribing = attempt
  }

  /** Sends the next heartbeat; replaces a subscription that stopped delivering long ago. */
  private beat(): void {
    if (this.closed) return
    const now = performance.now()
    if (this.trustedNow && now - this.lastBeatAt > 2 * this.heartbeatMs) this.distrust()
    if (!this.trustedNow && this.subscription && now - this.downSince > 10 * this.heartbeatMs) {
      // node-redis reconnects by itself; if that has not helped by now, start over
      this.downSince = now
      const old = this.subscription
      this.subscription = undefined
      void old.close()
    }
    this.subscribe()
    // one beat at a time; one that never settles (a hung connection) is given up after a while
    if (this.beatSentAt !== undefined && now - this.beatSentAt < 10 * this.heartbeatMs) return
    const sentAt = now
    this.beatSentAt = sentAt
    // on a cluster the beat goes through the node invalidations go through, so it arriving
    // means those sent before it have arrived
    this.channel
      .publish(this.beatChannel, String(++this.beatsSent), this.channelName)
      .catch(() => {})
      .finally(() => {
        if (this.beatSentAt === sentAt) this.beatSentAt = undefined
      })
  }
}

/**
 * A store driver with the near tier in front of `inner`. Invalidations and deletes are applied
 * here, written remotely, applied here again, then published; a publish that fails fails the
 * invalidation, which the cache then retries (and bypasses meanwhile) like any failed one.
 * `entriesRoot` is the prefix of entry keys (KeyLayout.entriesRoot); every other key is a token.
 */
export function nearDriver(inner: StoreDriver, tier: NearTier, entriesRoot: string): StoreDriver {
  const getMany = async (keys: string[]): Promise<(string | undefined)[]> => {
    if (!tier.trusted) return inner.getMany(keys)
    const out: (string | undefined)[] = keys.map((k) => tier.local(k))
    const missing: number[] = []
    for (let i = 0; i < keys.length; i++) if (out[i] === undefined) missing.push(i)
    if (missing.length === 0) return out
    const mark = tier.begin()
    const fetched = await inner.getMany(missing.map((i) => keys[i]!))
    missing.forEach((i, j) => {
      const v = fetched[j]
      out[i] = v
      if (v !== undefined) tier.fill(keys[i]!, v, mark)
    })
    return out
  }
  const invalidating = async (keys: string[], write: () => Promise<void>): Promise<void> => {
    tier.forget(keys)
    await write()
    tier.forget(keys)
    await tier.publish(keys)
  }
  const writeTokens = inner.writeTokens?.bind(inner)
  return {
    name: inner.name,
    ...(inner.slotGroups === undefined ? {} : { slotGroups: inner.slotGroups }),
    ...(inner.scan ? { scan: (prefix: string) => inner.scan!(prefix) } : {}),
    ...(inner.onTimeout ? { onTimeout: () => inner.onTimeout!() } : {}),
    ...(inner.closedByOwner ? { closedByOwner: () => inner.closedByOwner!() } : {}),
    get: async (key) => (await getMany([key]))[0],
    getMany,
    async set(key, value, ttlMs) {
      const mark = tier.begin()
      if (key.startsWith(entriesRoot)) {
        // An entry is kept here at once: entries are written behind their callers' results, and
        // the next read should not wait for the remote write. Serving it is as safe as serving it
        // from Redis: a hit still needs the tokens it recorded, and a delete forgets it here.
        tier.fill(key, value, mark, ttlMs)
        await inner.set(key, value, ttlMs)
        return
      }
      // A token only once the store holds it: a query recording a token the store does not have
      // yet could be served after an invalidation that the token's late write then overwrote.
      await inner.set(key, value, ttlMs)
      tier.fill(key, value, mark, ttlMs)
    },
    deleteMany: (keys) => invalidating(keys, () => inner.deleteMany(keys)),
    writeTokens: (tokens) =>
      invalidating(
        tokens.map(([key]) => key),
        writeTokens
          ? () => writeTokens(tokens)
          : async () => {
              await Promise.all(tokens.map(([key, value]) => inner.set(key, value)))
            },
      ),
    async close() {
      try {
        await tier.close()
      } finally {
        await inner.close?.()
      }
    },
  }
}

/** Checks that `store` can have a near cache in front of it. */
export function nearChannel(store: StoreDriver): StoreChannel {
  if (store.local)
    throw new CacheOptionError(
      `nearCache sits in front of a remote store; "${store.name}" is already in this process's memory`,
    )
  if (!store.channel)
    throw new CacheOptionError(
      `nearCache needs a store that can publish invalidations to every process (Redis or Redis Cluster through @keyv/redis); "${store.name}" cannot`,
    )
  return store.channel
}
