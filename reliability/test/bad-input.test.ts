// Issue 6.3 — bad input through the adapters: corrupt, foreign-format and truncated entries
// written straight into Redis under the keys querycache uses, broken tokens, results larger than
// maxEntryBytes, and keys/tags full of glob characters, separators and unicode. Each must give a
// clear error or a skip (a miss, a refusal), never a crash or a wrong result.
import type KeyvRedis from '@keyv/redis'
import { CacheOptionError, createQueryCache, type QueryCache } from '@querycache/core'
import type { BlogDatabase } from '@querycache/schema'
import { redisAdapter, scanNamespace, uniqueNamespace } from '@querycache/testing/redis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ADAPTERS, openSubject, type Subject, smallBlog } from './support/blog.ts'

let db: BlogDatabase
let admin: KeyvRedis<string>
const cleanup: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  db = await smallBlog()
  admin = redisAdapter()
})
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
  await admin.disconnect(true).catch(() => {})
  await db.drop()
})

function open(kind: (typeof ADAPTERS)[number], label: string, maxEntryBytes?: number) {
  const namespace = uniqueNamespace(`${label}-${kind}`)
  const codes: string[] = []
  const cache: QueryCache = createQueryCache({
    store: redisAdapter(),
    namespace,
    ...(maxEntryBytes ? { maxEntryBytes } : {}),
    onError: (e) => codes.push(e.code),
  })
  const subject = openSubject(kind, db.url, cache)
  cleanup.push(
    () => subject.close(),
    () => cache.clear().then(() => cache.close()),
  )
  return { namespace, codes, cache, subject }
}

/** What the database says, bypassing every cache. */
async function truth(subject: Subject) {
  const title = await subject.readTitleUncached()
  return title
}

const CORRUPTIONS: [string, (original: string) => string | Buffer | 'hash'][] = [
  ['random bytes (invalid UTF-8)', () => Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x9f, 0x80])],
  ['empty string', () => ''],
  ['truncated in half', (o) => o.slice(0, Math.floor(o.length / 2))],
  ['truncated by one byte', (o) => o.slice(0, -1)],
  ['a Keyv JSON envelope', (o) => JSON.stringify({ value: o, expires: null })],
  ['another version mark', (o) => o.replace('"qc1"', '"qc9"')],
  ['a plain JSON object', () => '{"title":"forged"}'],
  ['JSON null', () => 'null'],
  [
    'a codec tag of no known type',
    (o) => `${o.slice(0, o.lastIndexOf(',1,') + 3)}{"$qc":"NoSuchType","v":1}]`,
  ],
  ['a Redis hash instead of a string', () => 'hash'],
]

describe.each(ADAPTERS)('%s: bad input', (kind) => {
  test('corrupt, foreign or truncated entries under querycache keys are misses, reported, and replaced', async () => {
    const { namespace, codes, cache, subject } = open(kind, 'corrupt')
    const client = await admin.getClient()
    const seen: Record<string, string> = {}
    for (const [label, corrupt] of CORRUPTIONS) {
      const expected = await truth(subject)
      expect(await subject.readTitle()).toBe(expected) // cached now
      expect(await subject.readTitle()).toBe(expected) // a hit
      const entries = (await scanNamespace(admin, namespace)).filter((k) =>
        k.startsWith(`${namespace}:e:`),
      )
      expect(entries.length, label).toBeGreaterThan(0)
      const before = codes.length
      for (const key of entries) {
        const original = (await client.get(key)) as string
        const bad = corrupt(original)
        if (bad === 'hash') {
          await client.del(key)
          await client.hSet(key, 'field', original)
        } else await client.set(key, bad)
      }
      const missesBefore = cache.stats().misses
      await expect(subject.readTitle(), label).resolves.toBe(expected)
      expect(cache.stats().misses, `${label}: served as a miss`).toBeGreaterThan(missesBefore)
      seen[label] = codes.slice(before).join(',') || '(silent miss)'
      // the bad value is gone: removed, or overwritten by a valid entry (written behind the read)
      await cache.flush()
      for (const key of entries) {
        const type = await client.type(key)
        if (type === 'none') continue
        expect(type, label).toBe('string')
        expect(String(await client.get(key)).startsWith('["qc1",'), label).toBe(true)
      }
      await expect(subject.readTitle(), `${label}: caching resumes`).resolves.toBe(expected)
    }
    console.log(`${kind}: corrupt entries → reported codes`, seen)
    expect(codes.filter((c) => c === 'QC_CORRUPT_ENTRY').length).toBeGreaterThan(3)
  })

  test('garbage, deleted or wrong-typed generation tokens never let an old entry through', async () => {
    const { namespace, subject } = open(kind, 'tokens')
    const client = await admin.getClient()
    const damage: [string, (key: string) => Promise<unknown>][] = [
      ['deleted', (k) => client.del(k)],
      ['random bytes', (k) => client.set(k, Buffer.from([0xde, 0xad, 0xbe, 0xef]))],
      ['empty', (k) => client.set(k, '')],
      [
        'a list',
        async (k) => {
          await client.del(k)
          await client.rPush(k, 'x')
        },
      ],
    ]
    for (const [label, harm] of damage) {
      const expected = await truth(subject)
      await subject.readTitle()
      // a write the cache cannot see (raw SQL through another connection) …
      await db.exec(`UPDATE posts SET title = 'behind-${label}' WHERE id = 1`)
      expect(await subject.readTitle()).toBe(expected) // … is invisible while the tokens hold
      const tokens = (await scanNamespace(admin, namespace)).filter((k) =>
        k.startsWith(`${namespace}:t:`),
      )
      expect(tokens.length).toBeGreaterThan(0)
      for (const key of tokens) await harm(key)
      // once the tokens are damaged, the entry is dead: the database answers
      await expect(subject.readTitle(), label).resolves.toBe(`behind-${label}`)
      // and writes through the adapter still invalidate
      await subject.writeTitle(`after-${label}`)
      await expect(subject.readTitle(), label).resolves.toBe(`after-${label}`)
      await expect(subject.readTitle(), label).resolves.toBe(`after-${label}`)
    }
    await subject.writeTitle('v0')
  })

  test('a result larger than maxEntryBytes is returned intact, not cached, and counted as skipped', async () => {
    const { namespace, cache, subject } = open(kind, 'big', 4096)
    const big = 'x'.repeat(8000)
    const key = `big-${kind}`
    const expected = [...(await subject.listPosts({ key: 'uncached-probe' })).map((p) => p.id)]
    await subject.writeTitle(big)
    for (let i = 0; i < 3; i++) {
      const rows = await subject.listPosts({ key })
      expect(rows.map((r) => r.id)).toEqual(expected)
      expect(rows.find((r) => r.id === 1)?.title).toBe(big)
    }
    await cache.flush() // counted when the entry write behind each read finds it too large
    expect(cache.stats().skipped).toBeGreaterThanOrEqual(3)
    expect(cache.stats().hits).toBe(0)
    const values = await Promise.all(
      (await scanNamespace(admin, namespace))
        .filter((k) => k.startsWith(`${namespace}:e:`))
        .map(async (k) => String(await (await admin.getClient()).get(k))),
    )
    expect(values.every((v) => v.length < 4096 * 2)).toBe(true)
    // a small result through the same cache is still cached
    await subject.writeTitle('v0')
    await subject.listPosts({ key })
    await subject.listPosts({ key })
    expect(cache.stats().hits).toBe(1)
  })

  test('keys and tags with glob characters, separators and unicode: cached apart, hashed in Redis, matched literally', async () => {
    const { namespace, cache, subject } = open(kind, 'globs')
    const keys = [
      'home:*',
      'home:?',
      'home:[ab]',
      'home:\\',
      'home:x',
      'hôme:🙂',
      'a:b:c',
      `${namespace}:e:v1:forged`,
      '*',
      ' ',
      '\u0000nul',
      'k'.repeat(5000),
    ]
    const tags = ['t*', 't?', 'ü🙂', 'a:b', '[x]', '*']
    const expected = await subject.listPosts({ key: 'probe' })
    for (const [i, key] of keys.entries()) {
      await expect(subject.listPosts({ key, tags: [tags[i % tags.length]!] })).resolves.toEqual(
        expected,
      )
    }
    const hits = cache.stats().hits
    for (const [i, key] of keys.entries())
      await expect(subject.listPosts({ key, tags: [tags[i % tags.length]!] })).resolves.toEqual(
        expected,
      )
    expect(cache.stats().hits - hits).toBe(keys.length)

    // no user text ever forms a Redis key
    const stored = await scanNamespace(admin, namespace)
    for (const k of stored)
      expect(k).toMatch(
        new RegExp(`^${namespace.replace(/[.-]/g, '\\$&')}:(e|t):[A-Za-z0-9:*_-]+$`),
      )
    expect(stored.some((k) => /home|🙂|forged|kkkk/.test(k))).toBe(false)

    // patterns are globs over user keys; escaped metacharacters match literally
    expect(await cache.deletePattern('home:\\*')).toBe(1)
    expect(await cache.deletePattern('home:\\?')).toBe(1)
    expect(await cache.deletePattern('home:\\[ab]')).toBe(1)
    const hitsBefore = cache.stats().hits
    await subject.listPosts({ key: 'home:x', tags: [tags[4]!] })
    await subject.listPosts({ key: 'home:\\', tags: [tags[3]!] })
    expect(cache.stats().hits - hitsBefore).toBe(2)
    expect(await cache.deletePattern('home:*')).toBe(2) // home:\ and home:x
    // a tag named "t*" is not a pattern: invalidating it leaves "t?" alone
    const h2 = cache.stats().hits
    await cache.invalidateTags(['t*'])
    await subject.listPosts({ key: 'home:?', tags: ['t?'] }) // re-cached after deletePattern: miss
    await subject.listPosts({ key: 'home:?', tags: ['t?'] }) // hit
    await subject.listPosts({ key: 'hôme:🙂', tags: [tags[5]!] }) // tagged "*": untouched, hit
    expect(cache.stats().hits - h2).toBe(2)

    // invalid options are clear errors before anything runs
    // (an empty key or tag: Drizzle refuses it; Prisma may treat an empty key as "no key", which
    // still gives the right rows — either is acceptable, a wrong result or a crash is not)
    for (const options of [{ key: '' }, { key: 'ok', tags: [''] }]) {
      const outcome = await subject.listPosts(options).then(
        (rows) => rows,
        (e: unknown) => e,
      )
      console.log(
        `${kind}: listPosts(${JSON.stringify(options)}) → ${outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : 'rows (treated as no key)'}`,
      )
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(CacheOptionError)
      else expect(outcome).toEqual(expected)
    }
    // a malformed glob is an error or matches nothing; it never crashes or deletes other keys
    const entries = (await scanNamespace(admin, namespace)).length
    for (const pattern of ['[', '[z-a]', '\\', '[^]', '**?[']) {
      const outcome = await cache.deletePattern(pattern).then(
        (n) => `deleted ${n}`,
        (e: Error) => `${e.name}: ${e.message}`,
      )
      console.log(`${kind}: deletePattern(${JSON.stringify(pattern)}) → ${outcome}`)
    }
    expect((await scanNamespace(admin, namespace)).length).toBeGreaterThanOrEqual(entries - 2)
  })
})
