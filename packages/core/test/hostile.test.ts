// Hostile entries: garbage written into the namespace's entry keys in a real Redis (random bytes,
// truncated or oversized entries, deep nesting, __proto__/constructor keys, wrong tags, forged
// envelopes). Every read is a miss that runs the query: no crash, no hang, no prototype pollution.
import { redisAdapter, uniqueNamespace } from '@querycache/testing/redis'
import { afterAll, describe, expect, it } from 'vitest'
import { createQueryCache, type QueryCache } from '../src/index.js'

const MAX_ENTRY_BYTES = 256 * 1024

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Garbage of every kind the decoder must survive, built around a genuine entry: `malformed` is
 * never a valid entry; `forged` may be one (a well-formed envelope with hostile content, or a
 * genuine entry with a few characters changed), so only signatures can tell it from a real one.
 */
function hostile(genuine: string, random: () => number): { malformed: string[]; forged: string[] } {
  const head = genuine.slice(0, genuine.indexOf(',1,') + 3) // envelope up to the tagged flag
  const headUntagged = head.replace(/,1,$/, ',0,')
  const envelope = (payload: string, tagged = true) => `${tagged ? head : headUntagged}${payload}]`
  const bytes = (n: number) =>
    String.fromCharCode(...Array.from({ length: n }, () => Math.floor(random() * 65536)))
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`
  const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`
  const malformed = [
    '',
    'null',
    '[]',
    '{}',
    '"qc1"',
    '["qc1"]',
    genuine.slice(0, genuine.length >> 1),
    genuine.slice(0, -1),
    `${genuine}garbage`,
    genuine.replace('qc1', 'qc2'),
    `qcs1.AAAA.${genuine}`, // looks signed, is not
    // oversized: refused before parsing
    `${head}"${'x'.repeat(MAX_ENTRY_BYTES)}"]`,
    // deep nesting, in the envelope and in the payload (tagged, so the reviver walks it)
    deep(200_000),
    envelope(deep(100_000)),
    envelope(deepObject(50_000)),
    // wrong or malformed tags
    envelope('{"$qc":["Z","x"]}'),
    envelope('{"$qc":"not an array"}'),
    envelope('{"$qc":["n","12x"]}'),
    envelope('{"$qc":["B",42]}'),
    envelope('{"$qc":["M","not pairs"]}'),
    envelope('{"$qc":["S",{"length":1e9}]}'),
    envelope('{"$qc":["x:Decimal","1"]}'),
    // envelope fields of the wrong types
    genuine.replace(/^\["qc1","[^"]*"/, '["qc1",42'),
    genuine.replace(/^\["qc1","[^"]*",/, '["qc1","q",{},'),
  ]
  for (let i = 0; i < 40; i++) malformed.push(bytes(1 + Math.floor(random() * 300)))
  const forged = [
    // prototype keys: decoding must not give any object (or Object.prototype) new properties
    envelope('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    envelope('{"__proto__":{"polluted":true}}', false),
    envelope('{"$qc":["o",{"__proto__":{"polluted":true}}]}'),
    envelope('[{"constructor":{"prototype":{"polluted":true}}}]'),
    envelope('{"rows":[{"id":1,"cents":1}]}', false),
    // valid tags with hostile payloads: a 200k-digit BigInt (bounded by maxEntryBytes), a Date
    envelope(`{"$qc":["n","${'9'.repeat(200_000)}"]}`),
    envelope('{"$qc":["D",{"valueOf":1}]}'),
  ]
  for (let i = 0; i < 20; i++) {
    // a genuine entry with a few characters changed
    const chars = [...genuine]
    for (let j = 0; j < 3; j++) chars[Math.floor(random() * chars.length)] = bytes(1)
    forged.push(chars.join(''))
  }
  return { malformed, forged }
}

const caches: QueryCache[] = []
afterAll(async () => {
  for (const c of caches) await c.close()
})

describe('hostile entries', () => {
  for (const signed of [false, true]) {
    it(`every garbage entry is a miss that runs the query${signed ? ' (signed entries)' : ''}`, async () => {
      const store = redisAdapter()
      const errors: string[] = []
      const cache = createQueryCache({
        store,
        namespace: uniqueNamespace('hostile'),
        maxEntryBytes: MAX_ENTRY_BYTES,
        ttl: null,
        onError: (e) => errors.push(e.code),
        ...(signed ? { integrity: { key: 'k'.repeat(32) } } : {}),
      })
      caches.push(cache)
      const client = await store.getClient()
      const value = { rows: [{ id: 1n, at: new Date(0), tags: new Set(['a']) }] }
      await cache.set('q', value, { models: ['Post'] })
      const [entryKey] = await client.keys(`${cache.namespace}:e:*`)
      const genuine = (await client.get(entryKey!))!
      const unsignedGenuine = genuine.startsWith('qcs1.') ? genuine.slice(49) : genuine
      const { malformed, forged } = hostile(unsignedGenuine, prng(20261203))
      // unsigned, a forged entry is indistinguishable from a genuine one (the threat signing
      // answers): it may be served, but decoding it must still be safe; signed, it is a miss
      const mustMiss = signed ? [...malformed, ...forged] : malformed
      const mayServe = signed ? [] : forged
      let calls = 0
      const load = async () => {
        calls++
        return value
      }
      const started = performance.now()
      for (const [i, bad] of [...mustMiss, ...mayServe].entries()) {
        await client.set(entryKey!, bad)
        const before = calls
        const t = performance.now()
        const read = await cache.getOrSet('q', load, { models: ['Post'] })
        // the recomputed entry is written behind the result: let it land before the next edit
        await cache.flush()
        if (i < mustMiss.length) {
          expect(read, `case ${i}`).toEqual(value)
          expect(calls, `case ${i}: the query ran`).toBe(before + 1)
        }
        // decoding is bounded: no case takes long
        expect(performance.now() - t, `case ${i}`).toBeLessThan(2000)
        expect(({} as Record<string, unknown>).polluted, `case ${i}`).toBeUndefined()
        expect(Object.prototype).not.toHaveProperty('polluted')
        if (read !== null && typeof read === 'object')
          expect(Object.getPrototypeOf(read), `case ${i}`).toBeOneOf([
            Object.prototype,
            Array.prototype,
          ])
      }
      expect(performance.now() - started).toBeLessThan(20_000)
      const s = cache.stats()
      expect(s.corrupt + s.badSignatures).toBeGreaterThanOrEqual(mustMiss.length)
      expect(errors.every((c) => c === 'QC_CORRUPT_ENTRY' || c === 'QC_INTEGRITY')).toBe(true)
      // signed: what passes the size bound fails the signature before any parsing
      if (signed) expect(s.badSignatures).toBeGreaterThan(mustMiss.length - 5)
      else expect(s.corrupt).toBeGreaterThanOrEqual(malformed.length)
      // a genuine entry is served again
      await cache.set('q', value, { models: ['Post'] })
      expect(await cache.get('q')).toEqual(value)
    })
  }
})
