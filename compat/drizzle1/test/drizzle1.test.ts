// The Drizzle adapter on Drizzle 1.0 (release candidate) against real SQLite, PostgreSQL and
// MariaDB: selects, relational queries v2 (`drizzle({ relations })`, `with`), `$count`, prepared
// statements, builder and raw writes, cascades and transactions each cache, then read fresh
// after each write. Drizzle 1.0 runs a query without ever calling the hook the adapter caches
// in when no Drizzle cache is configured; without the adapter's 1.0 handling, nothing here hits.
import { type CacheCallInfo, withQueryCache } from '@querycache/drizzle/drizzle1'
import { eq, sql } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mariadb, openMariadb, openPostgres, openSqlite, postgres, sqlite } from './databases.ts'

// Drizzle 1.0 builds every MySQL relational query v2 with `LEFT JOIN LATERAL`, which MariaDB
// does not have (MySQL 8.0.14+ does): Drizzle itself cannot run them there, cached or not.
const DIALECTS = [
  ['SQLite (libsql)', openSqlite, sqlite, { lateral: true }],
  ['PostgreSQL (node-postgres)', openPostgres, postgres, { lateral: true }],
  ['MariaDB (mysql2)', openMariadb, mariadb, { lateral: false }],
] as const

describe.each(DIALECTS)('Drizzle 1.0 on %s', (_name, open, s, server) => {
  let handle: Awaited<ReturnType<typeof open>>
  // one body for the three dialects: their db types differ only by dialect
  let db: any
  const hits = () => db.$cache.stats().hits as number

  beforeEach(async () => {
    handle = await open()
    db = withQueryCache(handle.db)
  })
  afterEach(async () => {
    await db.$cache.close()
    await handle.close()
  })

  /** Reads twice (the second a hit), runs the write, and returns a third read. */
  async function cachedThenAfter(
    read: () => Promise<any>,
    write: () => Promise<unknown>,
  ): Promise<any> {
    const first = await read()
    const before = hits()
    expect(await read()).toEqual(first)
    expect(hits(), 'the second read is a hit').toBe(before + 1)
    await write()
    return read()
  }
  const titles = (rows: { title: string }[]) => rows.map((r) => r.title)
  const allPosts = () => db.select().from(s.posts).orderBy(s.posts.id)

  it('caches a select, and reads fresh after an insert, an update and a delete', async () => {
    let rows = await cachedThenAfter(allPosts, () =>
      db.insert(s.posts).values({ id: 4, authorId: 2, title: 'fourth' }),
    )
    expect(titles(rows)).toEqual(['first', 'second', 'third', 'fourth'])
    rows = await cachedThenAfter(allPosts, () =>
      db.update(s.posts).set({ title: 'FIRST' }).where(eq(s.posts.id, 1)),
    )
    expect(titles(rows)).toEqual(['FIRST', 'second', 'third', 'fourth'])
    rows = await cachedThenAfter(allPosts, () => db.delete(s.posts).where(eq(s.posts.id, 4)))
    expect(titles(rows)).toEqual(['FIRST', 'second', 'third'])
  })

  it.runIf(server.lateral)(
    'caches relational queries v2 with `with`, fresh after a write to either table',
    async () => {
      const authorsWithPosts = () =>
        db.query.authors.findMany({
          orderBy: { id: 'asc' },
          with: { posts: { orderBy: { id: 'asc' } } },
        })
      let rows = await cachedThenAfter(authorsWithPosts, () =>
        db.insert(s.posts).values({ id: 4, authorId: 2, title: 'fourth' }),
      )
      expect(rows.map((a: any) => [a.name, titles(a.posts)])).toEqual([
        ['Ann', ['first', 'second']],
        ['Bob', ['third', 'fourth']],
      ])
      rows = await cachedThenAfter(authorsWithPosts, () =>
        db.update(s.authors).set({ name: 'Anna' }).where(eq(s.authors.id, 1)),
      )
      expect(rows[0].name).toBe('Anna')

      // the other way round, and findFirst
      const postWithAuthor = () =>
        db.query.posts.findFirst({ where: { id: 3 }, with: { author: true } })
      const post = await cachedThenAfter(postWithAuthor, () =>
        db.update(s.authors).set({ name: 'Bobby' }).where(eq(s.authors.id, 2)),
      )
      expect(post).toEqual({ id: 3, authorId: 2, title: 'third', author: { id: 2, name: 'Bobby' } })
    },
  )

  it('caches $count, fresh after an insert', async () => {
    const count = await cachedThenAfter(
      () => db.$count(s.posts, eq(s.posts.authorId, 1)),
      () => db.insert(s.posts).values({ id: 4, authorId: 1, title: 'fourth' }),
    )
    expect(count).toBe(3)
  })

  it('caches a prepared statement per placeholder value, fresh after a write', async () => {
    const byId = db
      .select()
      .from(s.posts)
      .where(eq(s.posts.id, sql.placeholder('id')))
      .prepare('post_by_id')
    const post = await cachedThenAfter(
      () => byId.execute({ id: 1 }),
      () => db.update(s.posts).set({ title: 'changed' }).where(eq(s.posts.id, 1)),
    )
    expect(titles(post)).toEqual(['changed'])
    expect(titles(await byId.execute({ id: 2 }))).toEqual(['second'])
  })

  it('follows a cascading delete declared in the schema', async () => {
    const rows = await cachedThenAfter(allPosts, () =>
      db.delete(s.authors).where(eq(s.authors.id, 1)),
    )
    expect(titles(rows)).toEqual(['third'])
  })

  it('invalidates what a raw SQL write names', async () => {
    const run = (q: unknown) => (typeof db.run === 'function' ? db.run(q) : db.execute(q))
    const rows = await cachedThenAfter(allPosts, () =>
      run(sql`update posts set title = 'raw' where id = 2`),
    )
    expect(titles(rows)).toEqual(['first', 'raw', 'third'])
  })

  it('runs transactions: reads inside bypass, writes read fresh after commit, a rollback leaves nothing stale', async () => {
    await allPosts()
    const bypasses = db.$cache.stats().bypasses
    await db.transaction(async (tx: any) => {
      await tx.insert(s.posts).values({ id: 4, authorId: 2, title: 'fourth' })
      // its own uncommitted row: read from the database, never cached
      expect(titles(await tx.select().from(s.posts).orderBy(s.posts.id))).toContain('fourth')
    })
    expect(db.$cache.stats().bypasses).toBe(bypasses + 1)
    expect(titles(await allPosts())).toEqual(['first', 'second', 'third', 'fourth'])

    await expect(
      db.transaction(async (tx: any) => {
        await tx.update(s.posts).set({ title: 'rolled back' }).where(eq(s.posts.id, 1))
        expect(titles(await tx.select().from(s.posts).orderBy(s.posts.id))[0]).toBe('rolled back')
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect(titles(await allPosts())[0]).toBe('first')
  })

  it('honours $withCache: false opts out, options reach the cache, onInfo tells the outcome', async () => {
    const before = hits()
    await db.select().from(s.authors).$withCache(false)
    await db.select().from(s.authors).$withCache(false)
    expect(hits()).toBe(before)

    const infos: CacheCallInfo[] = []
    const tagged = () =>
      db
        .select()
        .from(s.authors)
        .where(eq(s.authors.id, 1))
        .$withCache({ ttl: 60, tags: ['ann'], onInfo: (i: CacheCallInfo) => infos.push(i) })
    await tagged()
    await tagged()
    await db.$cache.invalidateTags(['ann'])
    await tagged()
    expect(infos.map((i) => i.result)).toEqual(['miss', 'hit', 'miss'])
    expect(infos[0]!.dependencies).toContain('authors')
  })

  it('explains a relational query v2 without running it', () => {
    const q = db.query.authors.findMany({ with: { posts: true } })
    const explained = db.$explain(q)
    expect(explained).toMatchObject({ operation: 'read', cached: true })
    expect(explained.dependencies).toEqual(expect.arrayContaining(['authors', 'posts']))
    expect(db.$explain(db.delete(s.posts))).toMatchObject({
      operation: 'write',
      invalidates: expect.arrayContaining(['posts']),
    })
  })
})
