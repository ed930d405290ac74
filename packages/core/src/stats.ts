import type { NearCacheStats } from './near.js'

export interface ModelStats {
  hits: number
  misses: number
  staleHits: number
  hitRatio: number
}

export interface CacheStats extends ModelStats {
  /** Entries written. */
  sets: number
  /** Results not cached because their encoded size exceeded `maxEntryBytes` or could not be encoded. */
  skipped: number
  /** Reads that went straight to the database: a failed invalidation pending, the store down, or (adapters) a read in a transaction or opted out. */
  bypasses: number
  /** Calls of `invalidateModel(s)`/`invalidateTags`/`clear`/`delete*` that wrote to the store. */
  invalidations: number
  /** Store and codec failures (each also reported to `onError`). */
  errors: number
  /** Entries found corrupt, of another format, or truncated; they were removed. */
  corrupt: number
  /** Entries whose signature did not verify (`integrity` on): not served, removed. */
  badSignatures: number
  byModel: Record<string, ModelStats>
  /** The near cache's own figures, when it is on (its hits are also counted in `hits`). */
  near?: NearCacheStats
}

interface Counter {
  hits: number
  misses: number
  staleHits: number
}

const ratio = (c: Counter) => {
  const served = c.hits + c.staleHits
  const total = served + c.misses
  return total === 0 ? 0 : served / total
}

export class StatsCollector {
  private total = {
    hits: 0,
    misses: 0,
    staleHits: 0,
    sets: 0,
    skipped: 0,
    bypasses: 0,
    invalidations: 0,
    errors: 0,
    corrupt: 0,
    badSignatures: 0,
  }
  private readonly models = new Map<string, Counter>()

  private model(name: string | undefined): Counter | undefined {
    if (name === undefined) return undefined
    let c = this.models.get(name)
    if (!c) {
      c = { hits: 0, misses: 0, staleHits: 0 }
      this.models.set(name, c)
    }
    return c
  }

  hit(model: string | undefined): void {
    this.total.hits++
    const c = this.model(model)
    if (c) c.hits++
  }

  staleHit(model: string | undefined): void {
    this.total.staleHits++
    const c = this.model(model)
    if (c) c.staleHits++
  }

  miss(model: string | undefined): void {
    this.total.misses++
    const c = this.model(model)
    if (c) c.misses++
  }

  count(
    field:
      | 'sets'
      | 'skipped'
      | 'bypasses'
      | 'invalidations'
      | 'errors'
      | 'corrupt'
      | 'badSignatures',
  ): void {
    this.total[field]++
  }

  snapshot(): CacheStats {
    const byModel: Record<string, ModelStats> = {}
    for (const [name, c] of this.models) byModel[name] = { ...c, hitRatio: ratio(c) }
    return { ...this.total, hitRatio: ratio(this.total), byModel }
  }

  forModel(name: string): ModelStats {
    const c = this.models.get(name) ?? { hits: 0, misses: 0, staleHits: 0 }
    return { ...c, hitRatio: ratio(c) }
  }

  reset(): void {
    for (const key of Object.keys(this.total) as (keyof typeof this.total)[]) this.total[key] = 0
    this.models.clear()
  }
}
