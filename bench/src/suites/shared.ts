import type { QueryCache, StoreDriver } from '@querycache/core'

/** Equal data, compared through a JSON form that keeps bigint, Date, Decimal and Buffer apart. */
export function sameData(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b)
}

function canonical(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = this[key]
    if (typeof raw === 'bigint') return `${raw}n`
    if (raw instanceof Date) return `Date(${raw.toISOString()})`
    if (raw instanceof Uint8Array) return `bytes(${Buffer.from(raw).toString('hex')})`
    return v
  })
}

/**
 * Misses counted by the caches that should only hit, and hits counted by the caches that should
 * only miss: both must stay unchanged across a measurement.
 */
export function hitsAndMisses(caches: { hits: QueryCache[]; misses: QueryCache[] }) {
  return {
    hitMisses: caches.hits.reduce((n, c) => n + c.stats().misses + c.stats().staleHits, 0),
    missHits: caches.misses.reduce((n, c) => n + c.stats().hits + c.stats().staleHits, 0),
  }
}

/** The one serialized entry a cache wrote to this (otherwise unused) store: what a hit parses. */
export async function storedEntry(store: StoreDriver): Promise<string> {
  const found: string[] = []
  for await (const batch of store.scan!('')) {
    for (const value of await store.getMany(batch))
      if (value?.startsWith('["qc1"')) found.push(value)
  }
  if (found.length !== 1) throw new Error(`expected one stored entry, found ${found.length}`)
  return found[0]!
}
