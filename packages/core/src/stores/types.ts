/**
 * What querycache needs from a store: strings in, strings out. Build one with `defineStore`, or
 * pass a Keyv instance / Keyv store adapter to `createQueryCache` and it is wrapped for you.
 */
export interface StoreDriver {
  readonly name: string
  /**
   * True for stores in this process's memory: their calls cannot hang, so no timeout timer is
   * armed and no circuit breaker applies.
   */
  readonly local?: boolean
  get(key: string): Promise<string | undefined>
  /** One round trip where the store allows it (Redis MGET). */
  getMany(keys: string[]): Promise<(string | undefined)[]>
  /**
   * `getMany` without a promise, for a `local` store whose reads are synchronous anyway: a hit
   * from it then takes no microtask turns before it is served. Only used when `local` is true.
   */
  getManyNow?(keys: string[]): (string | undefined)[]
  /** `ttlMs` undefined: keep until deleted or evicted. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  deleteMany(keys: string[]): Promise<void>
  /**
   * Every key that starts with `prefix`, in batches. Optional: without it `clear` still works
   * (through the namespace token) but `deletePattern` cannot.
   */
  scan?(prefix: string): AsyncIterable<string[]>
  /**
   * Writes new generation tokens (an invalidation). Optional: without it each is a `set`. A store
   * with replicas resolves only once the tokens are safe from a failover (Redis `WAIT`), since a
   * promoted replica holding an old token would bring entries it invalidated back to life.
   */
  writeTokens?(tokens: ReadonlyArray<readonly [key: string, value: string]>): Promise<void>
  /**
   * Set by stores that shard keys over hash slots (Redis Cluster). querycache then spreads its
   * keys over this many slots, each holding its entries and its own copy of every token, so a hit
   * reads one slot on one node. Every process sharing the store must use the same number.
   */
  readonly slotGroups?: number
  /**
   * Called when one of this store's calls timed out (the guard gave up on it), so a driver can
   * look for a moved or failed-over node instead of waiting for the hung one.
   */
  onTimeout?(): void
  /**
   * Pub/sub on the store (Redis), which the near cache uses to tell every process of an
   * invalidation. Optional: without it the store cannot have a near cache in front of it.
   */
  readonly channel?: StoreChannel
  /** Release connections the driver opened itself. */
  close?(): Promise<void>
  /**
   * True once the client the driver was handed has been closed by whoever owns it (a shared
   * store, `closeStore: false`, that its owner disconnected). Entries still to be written behind
   * results are then dropped instead of reopening it; invalidations are still attempted.
   */
  closedByOwner?(): boolean
}

/** Publish/subscribe on a store, channel names prefixed like its keys. */
export interface StoreChannel {
  /** Publishes `message` on `channel`; `route` (a channel name) picks the node on a cluster. */
  publish(channel: string, message: string, route?: string): Promise<void>
  /**
   * Subscribes to `channels` on a connection of its own. `onDown` is called whenever that
   * connection drops: messages published until it is back are lost.
   */
  subscribe(
    channels: string[],
    onMessage: (message: string, channel: string) => void,
    onDown: () => void,
    /** Gives the attempt up (and closes what it opened) if it has not succeeded yet. */
    signal?: AbortSignal,
  ): Promise<Subscription>
}

export interface Subscription {
  close(): Promise<void>
}

export function defineStore<T extends StoreDriver>(driver: T): T {
  return driver
}
