import type { ErrorOperation, QueryCacheOptions } from './cache.js'
import { QueryCacheError } from './errors.js'
import type { NearTier } from './near.js'
import type { StatsCollector } from './stats.js'
import { GuardedStore, type StoreOperation } from './stores/guarded.js'
import type { StoreDriver } from './stores/types.js'
import type { Telemetry } from './telemetry.js'

/**
 * The cache's only way to the store and to `onError`: every call is bounded by the guard, and a
 * failure is counted and reported exactly once, then turned into `undefined` so no store or codec
 * problem ever reaches the caller as an exception.
 */
export class StoreAccess {
  readonly guarded: GuardedStore
  /** The near cache in front of the store, when there is one. */
  near: NearTier | undefined
  /** Where failures are published (`querycache:error`). */
  telemetry: Telemetry | undefined

  constructor(
    readonly driver: StoreDriver,
    private readonly counters: StatsCollector,
    private readonly onError: QueryCacheOptions['onError'],
    timeoutMs: number,
    retryAfterMs: number,
  ) {
    this.guarded = new GuardedStore(driver, {
      timeoutMs,
      retryAfterMs,
      report: (error, operation, key) => this.report(error, operation, key),
    })
  }

  async tryStore<T>(
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

  /**
   * `keys`' values, from the near cache when it holds them all (no timer, no round trip),
   * otherwise from the store (synchronously from a local one that can); undefined when the
   * store failed.
   */
  readMany(
    key: string | undefined,
    keys: string[],
  ): (string | undefined)[] | undefined | Promise<(string | undefined)[] | undefined> {
    const near = this.near?.peek(keys)
    if (near) return near
    if (this.driver.local && this.driver.getManyNow) {
      try {
        return this.driver.getManyNow(keys)
      } catch (error) {
        this.guarded.fail(error, 'get', key) // counted and reported, as run() would
        return undefined
      }
    }
    return this.tryStore('get', key, () => this.driver.getMany(keys))
  }

  /** Batches of keys under `prefix`, each step bounded by the timeout; stops quietly on failure. */
  async *scanKeys(prefix: string, userKey: string | undefined): AsyncGenerator<string[]> {
    if (!this.driver.scan) return
    const iterator = this.driver.scan(prefix)[Symbol.asyncIterator]()
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

  report(error: unknown, operation: ErrorOperation, key: string | undefined): void {
    this.counters.count('errors')
    const wrapped =
      error instanceof QueryCacheError
        ? error
        : new QueryCacheError('QC_UNKNOWN', String((error as Error)?.message ?? error), {
            cause: error,
          })
    this.telemetry?.error(wrapped, operation, key)
    if (!this.onError) return
    try {
      this.onError(
        wrapped,
        key === undefined
          ? { operation, store: this.driver.name }
          : { operation, key, store: this.driver.name },
      )
    } catch {
      // a throwing onError must not turn a cache problem into a query failure
    }
  }
}
