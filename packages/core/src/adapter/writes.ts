import type { QueryCache } from '../cache.js'
import type { Dependencies, WriteEffect } from './dependencies.js'

/**
 * What a transaction wrote, applied when it ends. The one rule for a write that fails: it is
 * rolled back for certain only when the transaction's own callback threw (the ORM then issues
 * ROLLBACK); any other failure — a failed COMMIT, a connection lost after COMMIT, a batch that
 * failed part-way — may have committed, so its writes are invalidated.
 */
export class TransactionWrites {
  private readonly effects: WriteEffect[] = []
  private unknown = false
  private threw = false

  /** Queues a write's effect (`undefined`: cannot be told, everything). */
  add(effect: WriteEffect | undefined): void {
    if (effect === undefined) this.unknown = true
    else this.effects.push(effect)
  }

  /** Wraps the transaction callback, to learn whether it threw (then nothing was committed). */
  callback<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      try {
        return await fn(...args)
      } catch (error) {
        this.threw = true
        throw error
      }
    }
  }

  /** True once the callback threw: the ORM rolls back and nothing needs invalidating. */
  get rolledBack(): boolean {
    return this.threw
  }

  /** Everything queued, as one effect; `null` when nothing was written. */
  effect(): WriteEffect | undefined | null {
    if (this.unknown) return undefined
    if (this.effects.length === 0) return null
    const merged = { written: [], deleted: [], keyChanged: [], emptied: [] } as Record<
      keyof WriteEffect,
      string[]
    >
    for (const e of this.effects)
      for (const field of Object.keys(merged) as (keyof WriteEffect)[])
        for (const n of e[field] ?? []) merged[field].push(n)
    return merged
  }
}

/** Runs writes and transactions so that their invalidations land before their promises settle. */
export class Invalidator {
  constructor(
    private readonly cache: QueryCache,
    readonly dependencies: Dependencies,
  ) {}

  /** Invalidates what an effect changed. Never throws: the write it follows has happened. */
  async invalidate(effect: WriteEffect | undefined): Promise<void> {
    try {
      const names = this.dependencies.write(effect)
      if (names.length > 0) await this.cache.invalidateModels(names)
    } catch {
      // the cache reports its own store failures (onError, stats), and bypasses until it recovers
    }
  }

  /**
   * Runs a write. Inside a transaction its effect is queued for the end of the transaction;
   * otherwise it is invalidated before the write's promise settles — also when the write fails,
   * since a failed write may have committed (the reply to a COMMIT can be lost).
   */
  async write<T>(
    run: () => Promise<T>,
    effect: WriteEffect | undefined,
    transaction?: TransactionWrites | undefined,
  ): Promise<T> {
    if (transaction) {
      transaction.add(effect)
      return run()
    }
    try {
      return await run()
    } finally {
      await this.invalidate(effect)
    }
  }

  /**
   * Runs a transaction (`run` starts it, with the buffer its writes queue into, and its callback
   * wrapped through `writes.callback`). What it wrote is invalidated after it ends, before its
   * promise settles, unless its callback threw.
   */
  async transaction<T>(
    run: (writes: TransactionWrites) => Promise<T>,
    writes = new TransactionWrites(),
  ): Promise<T> {
    try {
      return await run(writes)
    } finally {
      const effect = writes.effect()
      if (!writes.rolledBack && effect !== null) await this.invalidate(effect)
    }
  }
}
