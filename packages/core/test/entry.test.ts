// The stored entry format: a read parses an entry's head (key, dependencies, tokens, times) on
// its own, and its payload only when the entry may be served. Head + payload must be exactly
// what parsing the whole text gives, for any key, dependency, token and payload, and any text
// that is not an entry must be refused as corrupt, never misread.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseEntryHead, parsePayload, serializeEntry } from '../src/entry.js'
import { CorruptEntryError } from '../src/errors.js'
import { createQueryCache, memoryStore } from '../src/index.js'

// strings that stress the head scanner: quotes, backslashes, brackets, commas, any code point
const awkward = fc.oneof(
  fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', 'a', '\u2028', '😀') }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
)
const time = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 2 ** 47 }))
const entry = fc.record({
  userKey: awkward,
  model: fc.oneof(fc.constant(null), awkward),
  pairs: fc.array(fc.tuple(awkward, awkward), { maxLength: 4 }),
  expiresAt: time,
  staleUntil: time,
  tagged: fc.boolean(),
  payload: fc.jsonValue(),
})

describe('entry head and payload', () => {
  it('parse to exactly what the whole text parses to', () => {
    fc.assert(
      fc.property(entry, (e) => {
        const raw = serializeEntry(
          { ...e, dependencies: e.pairs.map((p) => p[0]), tokens: e.pairs.map((p) => p[1]) },
          JSON.stringify(e.payload),
          e.tagged,
        )
        const whole = JSON.parse(raw)
        const head = parseEntryHead(raw)
        expect([
          'qc1',
          head.userKey,
          head.model,
          head.dependencies,
          head.tokens,
          head.expiresAt,
          head.staleUntil,
          head.tagged ? 1 : 0,
          parsePayload(raw, head),
        ]).toEqual(whole)
      }),
      { numRuns: 500 },
    )
  })

  it('refuse any other text as corrupt: cut short, extended, or with an element more or less', () => {
    const raw = serializeEntry(
      {
        userKey: 'k"],[,',
        model: 'Post',
        dependencies: ['m:Post'],
        tokens: ['t,]"'],
        expiresAt: null,
        staleUntil: null,
      },
      '{"a":[1,2,{"b":"],"}]}',
      false,
    )
    const bad = [
      ...Array.from({ length: raw.length - 1 }, (_, i) => raw.slice(0, i)),
      `${raw}]`,
      `${raw} `,
      `${raw.slice(0, -1)},1]`,
      raw.replace(',{"a"', ''),
      raw.replace('["qc1",', '["qc1",1,'),
      raw.replace('["qc1",', '['),
    ]
    for (const text of bad) {
      const read = () => parsePayload(text, parseEntryHead(text))
      expect(read, text).toThrow(CorruptEntryError)
    }
  })

  it('refuse random text as corrupt, or parse it as JSON.parse would', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        let parsed: unknown
        try {
          const head = parseEntryHead(text)
          parsed = [head.userKey, parsePayload(text, head)]
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptEntryError)
          return
        }
        const whole = JSON.parse(text)
        expect(parsed).toEqual([whole[1], whole[8]])
      }),
      { numRuns: 1000 },
    )
  })
})

describe('heads of entries this process wrote', () => {
  // a read of an entry this process wrote takes its head from memory instead of parsing it when
  // the stored text starts with that head's text: that head must be exactly what parsing the
  // stored text gives. Signed entries are verified whole instead, so none is remembered.
  const options = fc.record({
    userKey: fc.string({ minLength: 1 }),
    models: fc.array(
      awkward.filter((m) => m.length > 0),
      { maxLength: 3 },
    ),
    ttl: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 1000 })),
    swr: fc.integer({ min: 0, max: 100 }),
    value: fc.oneof(
      fc.jsonValue(),
      fc.date({ noInvalidDate: true }).map((d) => [d, 1n]),
    ),
    signed: fc.boolean(),
  })
  it('are what parsing the stored entry gives', async () => {
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        const store = memoryStore()
        const cache = createQueryCache({
          store,
          ...(o.signed ? { integrity: { key: 'k'.repeat(32) } } : {}),
        })
        await cache.getOrSet(o.userKey, async () => o.value, {
          models: o.models,
          ttl: o.ttl,
          swr: o.ttl === null ? undefined : o.swr,
        })
        await cache.flush()
        const written = (cache as unknown as { entries: { written: Map<string, unknown> } }).entries
          .written
        const stored = [...written] as [string, { text: string; head: unknown }][]
        const raw = stored[0] && (await store.get(stored[0][0]))
        await cache.close()
        expect(stored.length).toBe(o.signed ? 0 : 1)
        if (o.signed) return
        const remembered = stored[0]![1]
        expect(raw!.startsWith(remembered.text)).toBe(true)
        expect(remembered.head).toEqual(parseEntryHead(raw!))
        // and after any payload, as another process's entry with this very head would have one
        const other = `${remembered.text}${JSON.stringify({ other: o.value === null })}]`
        expect(remembered.head).toEqual({
          ...parseEntryHead(other),
          payloadStart: (remembered.head as { payloadStart: number }).payloadStart,
        })
        expect(parseEntryHead(other).payloadStart).toBe(remembered.text.length)
      }),
      { numRuns: 150 },
    )
  })
})
