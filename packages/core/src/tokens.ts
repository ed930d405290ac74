import { randomUUID } from 'node:crypto'
import { sameItems } from './options.js'
import type { StatsCollector } from './stats.js'
import type { StoreAccess } from './store-access.js'

interface PendingInvalidation {
  seq: number
  failed: boolean
}

/**
 * The generation-token protocol. An entry records the tokens of its dependencies as they were
 * before its query ran and is served only while they are all unchanged; invalidating rotates a
 * token. Until a rotation is known to be written, entries depending on it are not served here.
 */
export class Tokens {
  /** Token keys whose invalidation is being written or failed; reads depending on them bypass. */
  private readonly pending = new Map<string, PendingInvalidation>()
  /** Missing tokens being created by this process, so concurrent cold reads agree on one. */
  private readonly creatingTokens = new Map<string, { token: string; written: Promise<string> }>()
  // Lets a finished write clear only the pending marks it set, not those of a later one.
  private seq = 0
  private retrying: Promise<void> | undefined
  private retryTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly access: StoreAccess,
    private readonly counters: StatsCollector,
    private readonly retryAfterMs: number,
  ) {}

  /**
   * False when the cache must be bypassed for these dependencies (store down, invalidation
   * pending); a promise only when a failed invalidation of theirs is retried first.
   */
  usable(dependencies: string[]): boolean | Promise<boolean> {
    if (!this.access.guarded.available) return false
    if (this.pending.size === 0) return true
    if (!dependencies.some((d) => this.pending.has(d))) return true
    return this.retryFailedInvalidations().then(
      () => !dependencies.some((d) => this.pending.has(d)),
    )
  }

  /** Entries depending on these must not be served: their invalidation may not be in the store yet. */
  anyPending(dependencies: readonly string[]): boolean {
    return this.pending.size > 0 && dependencies.some((d) => this.pending.has(d))
  }

  /**
   * Current tokens for an entry's dependencies, reading only those not already in hand (a
   * promise only when some must be read from a remote store).
   */
  current(
    dependencies: string[],
    known: string[],
    current: (string | undefined)[],
  ): (string | undefined)[] | undefined | Promise<(string | undefined)[] | undefined> {
    // a hit's usual case: the entry depends on exactly what was read with it, in that order
    if (sameItems(dependencies, known)) return current
    const out: (string | undefined)[] = new Array(dependencies.length)
    const missing: number[] = []
    for (let i = 0; i < dependencies.length; i++) {
      const at = known.indexOf(dependencies[i]!)
      if (at === -1) missing.push(i)
      else out[i] = current[at]
    }
    if (missing.length === 0) return out
    const fill = (fetched: (string | undefined)[] | undefined) => {
      if (!fetched) return undefined
      missing.forEach((i, j) => {
        out[i] = fetched[j]
      })
      return out
    }
    const fetched = this.access.readMany(
      undefined,
      missing.map((i) => dependencies[i]!),
    )
    return fetched instanceof Promise ? fetched.then(fill) : fill(fetched)
  }

  /** The tokens to record for `observed`, creating the missing ones; undefined if that failed. */
  ensure(dependencies: string[], observed: (string | undefined)[]): Promise<string[] | undefined> {
    return this.intend(dependencies, observed).written
  }

  /**
   * The tokens an entry for `observed` will record, known at once (a missing one's new token is
   * chosen now and its write starts now), and `written`: those tokens once every new one is in
   * the store, undefined if a write failed.
   */
  intend(
    dependencies: string[],
    observed: (string | undefined)[],
  ): { tokens: string[]; written: Promise<string[] | undefined> } {
    if (!observed.includes(undefined)) {
      const tokens = observed as string[]
      return { tokens, written: Promise.resolve(tokens) }
    }
    const created = dependencies.map((key, i) =>
      observed[i] === undefined ? this.create(key) : undefined,
    )
    const tokens = created.map((c, i) => c?.token ?? observed[i]!)
    const written = Promise.all(created.map((c) => c?.written)).then(
      () => tokens,
      () => undefined,
    )
    return { tokens, written }
  }

  async invalidate(keys: string[]): Promise<void> {
    const seq = ++this.seq
    for (const key of keys) this.pending.set(key, { seq, failed: false })
    const ok = await this.write(keys)
    for (const key of keys) {
      const p = this.pending.get(key)
      if (p?.seq !== seq) continue
      if (ok) this.pending.delete(key)
      else p.failed = true
    }
    this.counters.count('invalidations')
    if (!ok) this.scheduleRetry()
  }

  close(): void {
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
  }

  private create(key: string): { token: string; written: Promise<string> } {
    let creating = this.creatingTokens.get(key)
    if (!creating) {
      const token = randomUUID()
      const written = this.access.guarded
        .run('set', undefined, () => this.access.driver.set(key, token))
        .then(() => token)
        .finally(() => this.creatingTokens.delete(key))
      creating = { token, written }
      this.creatingTokens.set(key, creating)
    }
    return creating
  }

  private async write(keys: string[]): Promise<boolean> {
    try {
      // Fresh random tokens, never reused: a token evicted and re-created can't match an old entry.
      const driver = this.access.driver
      if (driver.writeTokens) {
        const tokens = keys.map((key) => [key, randomUUID()] as const)
        await this.access.guarded.run('invalidate', undefined, () => driver.writeTokens!(tokens))
      } else {
        await Promise.all(
          keys.map((key) =>
            this.access.guarded.run('invalidate', undefined, () => driver.set(key, randomUUID())),
          ),
        )
      }
      return true
    } catch {
      return false
    }
  }

  private retryFailedInvalidations(): Promise<void> {
    if (this.retrying) return this.retrying
    const failed = [...this.pending].filter(([, p]) => p.failed).map(([key]) => key)
    if (failed.length === 0 || !this.access.guarded.available) return Promise.resolve()
    this.retrying = (async () => {
      const seq = ++this.seq
      for (const key of failed) this.pending.set(key, { seq, failed: true })
      const ok = await this.write(failed)
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
}
