import { StoreError } from '../errors.js'
import type { StoreDriver } from './types.js'

export type StoreOperation = 'get' | 'set' | 'delete' | 'scan' | 'invalidate'

export interface GuardOptions {
  timeoutMs: number
  /** After a timeout, remote store calls other than invalidations fail fast for this long, so a hung store adds no read latency. */
  retryAfterMs: number
  report(error: unknown, operation: StoreOperation, key?: string): void
}

/**
 * Every store call goes through here: bounded by `timeoutMs`, failures normalised to StoreError
 * and reported once. A local (in-process) store is called directly, without timers.
 */
export class GuardedStore {
  private downUntil = 0

  constructor(
    readonly driver: StoreDriver,
    private readonly options: GuardOptions,
  ) {}

  /** False while the circuit is open after a recent failure of a remote store. */
  get available(): boolean {
    return this.driver.local === true || Date.now() >= this.downUntil
  }

  async run<T>(
    operation: StoreOperation,
    key: string | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    if (this.driver.local) {
      try {
        return await call()
      } catch (error) {
        throw this.fail(error, operation, key)
      }
    }
    // An invalidation is always attempted: skipping it would leave other processes serving what
    // it invalidates, and it costs the writer at most one timeout.
    if (!this.available && operation !== 'invalidate') {
      throw new StoreError(
        'QC_STORE_UNAVAILABLE',
        `Store "${this.driver.name}" is unavailable after a recent failure`,
      )
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreError(
              'QC_STORE_TIMEOUT',
              `Store "${this.driver.name}" ${operation} took longer than ${this.options.timeoutMs} ms`,
            ),
          ),
        this.options.timeoutMs,
      )
    })
    try {
      return await Promise.race([call(), timeout])
    } catch (error) {
      throw this.fail(error, operation, key)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Wraps, counts and reports a failed store call (also one made without run). */
  fail(error: unknown, operation: StoreOperation, key: string | undefined): StoreError {
    const wrapped =
      error instanceof StoreError
        ? error
        : new StoreError(
            'QC_STORE_FAILED',
            `Store "${this.driver.name}" ${operation} failed: ${(error as Error)?.message ?? String(error)}`,
            { cause: error },
          )
    // Only a hang costs the caller time; a store that answers with an error is asked again next time.
    if (!this.driver.local && wrapped.code === 'QC_STORE_TIMEOUT') {
      this.downUntil = Date.now() + this.options.retryAfterMs
      try {
        this.driver.onTimeout?.()
      } catch {
        // a driver's recovery attempt must not turn a timeout into a thrown error
      }
    }
    this.options.report(wrapped, operation, key)
    return wrapped
  }
}
