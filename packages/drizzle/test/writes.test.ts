import { rawWriteEffect } from '@querycache/core/adapter'
import { and, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { targets, useDatabase } from './support/setup.js'

describe.each(targets)('writes invalidate what they change (%s, %s store)', (kind, store) => {
  const ctx = useDatabase(kind, { store })

  const titles = () =>
    ctx.db
      .select({ title: ctx.h.t.posts.title })
      .from(ctx.h.t.posts)
      .orderBy(ctx.h.t.posts.id)
      .then((rows: { title: string }[]) => rows.map((r) => r.title))

  /** Caches `read`, proves the second call is a hit, runs `write`, returns the next read. */
  async function afterWrite<T = any>(read: () => Promise<T>, write: () => Promise<any>) {
    const before = await read()
    const hits = ctx.cache.stats().hits
    expect(await read()).toEqual(before)
    expect(ctx.cache.stats().hits).toBe(hits + 1)
    const result = await write()
    return { before, after: await read(), result }
  }

  /** Runs raw SQL through the wrapped db (db.execute on PG, db.run on SQLite). */
  const raw = (text: string) =>
    kind === 'pg' ? ctx.db.execute(sql.raw(text)) : ctx.db.run(sql.raw(text))

  it('insert … returning', async () => {
    const { posts } = ctx.h.t
    const { after, result } = await afterWrite(titles, () =>
      ctx.db.insert(posts).values({ authorId: 2, title: 'new' }).returning({ id: posts.id }),
    )
    expect(result).toEqual([{ id: expect.any(Number) }])
    expect(after).toEqual(['hello', 'draft', 'new'])
  })

  it('update … returning', async () => {
    const { posts } = ctx.h.t
    const { after, result } = await afterWrite(titles, () =>
      ctx.db.update(posts).set({ title: 'changed' }).where(eq(posts.id, 2)).returning(),
    )
    expect(result[0].title).toBe('changed')
    expect(after).toEqual(['hello', 'changed'])
  })

  it('delete', async () => {
    const { posts } = ctx.h.t
    const { after } = await afterWrite(titles, () => ctx.db.delete(posts).where(eq(posts.id, 2)))
    expect(after).toEqual(['hello'])
  })

  it('delete cascades through foreign keys (users → posts → comments)', async () => {
    const { users, comments } = ctx.h.t
    const bodies = () => ctx.db.select({ body: comments.body }).from(comments)
    await bodies()
    const { after } = await afterWrite(titles, () => ctx.db.delete(users).where(eq(users.id, 1)))
    expect(after).toEqual([])
    expect(await bodies()).toEqual([])
  })

  it('upsert with onConflictDoUpdate', async () => {
    const { posts } = ctx.h.t
    const { after } = await afterWrite(titles, () =>
      ctx.db
        .insert(posts)
        .values({ id: 1, authorId: 1, title: 'upserted' })
        .onConflictDoUpdate({ target: posts.id, set: { title: 'upserted' } }),
    )
    expect(after).toEqual(['upserted', 'draft'])
  })

  it('onConflictDoNothing', async () => {
    const { posts } = ctx.h.t
    const { after } = await afterWrite(titles, () =>
      ctx.db.insert(posts).values({ id: 30, authorId: 1, title: 'x' }).onConflictDoNothing(),
    )
    expect(after).toEqual(['hello', 'draft', 'x'])
  })

  it('update … from', async () => {
    const { posts, users } = ctx.h.t
    const { after } = await afterWrite(titles, () =>
      ctx.db
        .update(posts)
        .set({ title: sql`${users.name}` })
        .from(users)
        .where(and(eq(posts.authorId, users.id), eq(posts.id, 2))),
    )
    expect(after).toEqual(['hello', 'alice'])
  })

  it('insert … select', async () => {
    const { posts, users } = ctx.h.t
    const { after } = await afterWrite(titles, () =>
      ctx.db.insert(posts).select(
        ctx.db
          .select({
            id: sql`40`.as('id'),
            authorId: users.id,
            title: users.name,
            published: (kind === 'pg' ? sql`true` : sql`1`).as('published'),
          })
          .from(users)
          .where(eq(users.id, 2)),
      ),
    )
    expect(after).toEqual(['hello', 'draft', 'bob'])
  })

  it('raw SQL writes invalidate the tables they name', async () => {
    const { after } = await afterWrite(titles, () =>
      raw(`UPDATE Posts SET title = 'raw' WHERE id = 1`),
    )
    expect(after).toEqual(['raw', 'draft'])
    // quoted, schema-qualified, with a comment in between
    const again = await afterWrite(titles, () =>
      raw(
        `delete /* x */ from ${kind === 'pg' ? '"public"."posts"' : '"main"."posts"'} where id = 2`,
      ),
    )
    expect(again.after).toEqual(['raw'])
  })

  // every write form of the dialect, through raw SQL: a cached read, the write, a fresh read
  const forms: Record<string, [string, string][]> = {
    pg: [
      [
        'MERGE',
        "MERGE INTO posts p USING (SELECT 1 AS id) s ON p.id = s.id WHEN MATCHED THEN UPDATE SET title = 'merged'",
      ],
      [
        'a writable CTE',
        "WITH changed AS (UPDATE posts SET title = 'cte' WHERE id = 1 RETURNING id) SELECT count(*) FROM changed",
      ],
      ['TRUNCATE of a list, CASCADE', 'TRUNCATE TABLE ONLY comments, posts CASCADE'],
      ['COPY … FROM', 'COPY posts (author_id, title) FROM PROGRAM \'printf "2\\tcopied\\n"\''],
      // lexical rules: a -- comment ends at \r; an E'' literal continued after a newline
      [
        'a write after a -- comment ended by a carriage return',
        "WITH a AS (SELECT 1) --x\r, d AS (UPDATE posts SET title = 'cr' WHERE id = 1 RETURNING 1) SELECT 1",
      ],
      [
        "a write after an E'' literal continued on the next line",
        "WITH x AS (SELECT E''\n" +
          String.raw`'\'' AS a, '\' AS b), d AS (UPDATE posts SET title = 'econt' WHERE id = 1 RETURNING 1) SELECT ''`,
      ],
    ],
    sqlite: [
      [
        'INSERT OR REPLACE',
        "INSERT OR REPLACE INTO posts (id, author_id, title) VALUES (1, 1, 'r1')",
      ],
      ['REPLACE', "REPLACE INTO posts (id, author_id, title) VALUES (1, 1, 'r2')"],
      [
        'UPSERT',
        "INSERT INTO posts (id, author_id, title) VALUES (1, 1, 'u') ON CONFLICT (id) DO UPDATE SET title = excluded.title",
      ],
      ['UPDATE OR IGNORE', "UPDATE OR IGNORE posts SET title = 'oi' WHERE id = 1"],
    ],
  }
  // an apostrophe in a comment must not open a literal that hides the write after it
  const everywhere: [string, string][] = [
    ["after a /* it's */ comment", "/* it's */ UPDATE posts SET title = 'c1' WHERE id = 1"],
    ["after a -- it's comment", "-- it's\nUPDATE posts SET title = 'c2' WHERE id = 1"],
  ]
  it.each([...(forms[kind] ?? []), ...everywhere])(
    'raw %s invalidates what it writes',
    async (_, statement) => {
      const { after } = await afterWrite(titles, () => raw(statement))
      const { posts } = ctx.h.t
      const truth = await ctx.raw.select({ title: posts.title }).from(posts).orderBy(posts.id)
      expect(after).toEqual(truth.map((r: { title: string }) => r.title))
    },
  )

  it('raw SQL writes through sql`` with interpolated tables', async () => {
    const { posts } = ctx.h.t
    const run = (q: unknown) => (kind === 'pg' ? ctx.db.execute(q) : ctx.db.run(q))
    const { after } = await afterWrite(titles, () =>
      run(sql`insert into ${posts} (author_id, title) values (${2}, ${'interp'})`),
    )
    expect(after).toEqual(['hello', 'draft', 'interp'])
  })

  // core's rawWriteEffect, the rule the Prisma adapter follows too (its invalidation.test.ts):
  // a statement not provably read-only whose tables are not all named invalidates everything
  it.each([
    [
      'raw SQL that cannot be attributed invalidates everything',
      kind === 'pg'
        ? `do $$ begin insert into posts(author_id, title) values (2, 'anon'); end $$`
        : `reindex`,
    ],
    [
      'raw SQL it cannot prove read-only invalidates everything',
      'create index if not exists posts_title_qc on posts (title)',
    ],
  ])('%s', async (_, statement) => {
    expect(rawWriteEffect(statement, () => ['posts'])).toBeUndefined()
    const users = () => ctx.db.select().from(ctx.h.t.users)
    await users()
    const before = ctx.cache.stats().misses
    await afterWrite(titles, () => raw(statement))
    await users()
    // both reads missed after the statement
    expect(ctx.cache.stats().misses).toBe(before + 2 + 1)
  })

  it('raw SQL reads invalidate nothing', async () => {
    await titles()
    const invalidations = ctx.cache.stats().invalidations
    await (kind === 'pg' ? ctx.db.execute(sql`select 1`) : ctx.db.all(sql`select 1`))
    expect(ctx.cache.stats().invalidations).toBe(invalidations)
    await titles()
    expect(ctx.cache.stats().hits).toBe(1)
  })

  it('writes through sql`` in .set() and .where() subqueries invalidate only the written table', async () => {
    const { posts, users } = ctx.h.t
    const names = () => ctx.db.select({ name: users.name }).from(users).orderBy(users.id)
    await names()
    await ctx.db
      .update(posts)
      .set({ title: 'sub' })
      .where(
        eq(
          posts.authorId,
          ctx.db.select({ id: users.id }).from(users).where(eq(users.name, 'alice')).limit(1),
        ),
      )
    await names()
    expect(ctx.cache.stats('users').hits).toBe(1)
  })

  it('declared dependencies: a trigger on posts writes audit', async () => {
    const { posts, audit } = ctx.h.t
    const notes = () => ctx.db.select({ note: audit.note }).from(audit)
    // (the seed's two posts already wrote two audit rows)
    // without the declaration the trigger's write is invisible (a documented limit)
    expect(await notes()).toHaveLength(2)
    await ctx.db.insert(posts).values({ authorId: 2, title: 'one' })
    expect(await notes()).toHaveLength(2)
    // with it, a write to posts invalidates audit
    const db = ctx.wrap({ dependencies: { posts: ['audit'] } })
    expect(await db.select({ note: audit.note }).from(audit)).toHaveLength(3)
    await db.insert(posts).values({ authorId: 2, title: 'two' })
    expect(await db.select({ note: audit.note }).from(audit)).toHaveLength(4)
  })

  it('$cache.invalidate({ tables }) after a write the wrapper cannot see', async () => {
    const { posts } = ctx.h.t
    await titles()
    await ctx.h.exec(`update posts set title = 'behind' where id = 1`)
    expect(await titles()).toEqual(['hello', 'draft'])
    await ctx.db.$cache.invalidate({ tables: posts })
    expect(await titles()).toEqual(['behind', 'draft'])
    await ctx.h.exec(`update posts set title = 'again' where id = 1`)
    await ctx.db.$cache.invalidate({ tables: ['posts'] })
    expect(await titles()).toEqual(['again', 'draft'])
  })

  it.runIf(kind === 'sqlite')('db.batch invalidates every table its writes touch', async () => {
    const { posts, users } = ctx.h.t
    const names = () => ctx.db.select({ name: users.name }).from(users).orderBy(users.id)
    await titles()
    await names()
    await ctx.db.batch([
      ctx.db.insert(posts).values({ authorId: 2, title: 'batched' }),
      ctx.db.update(users).set({ name: 'bobby' }).where(eq(users.id, 2)),
      ctx.db.select().from(users),
    ])
    expect(await titles()).toEqual(['hello', 'draft', 'batched'])
    expect((await names()).map((r: { name: string }) => r.name)).toEqual(['alice', 'bobby'])
    await ctx.db.batch([ctx.db.run(sql`delete from posts where id = 1`)])
    expect(await titles()).toEqual(['draft', 'batched'])
  })

  it('refresh materialized view invalidates the view', async () => {
    if (kind !== 'pg') return
    await ctx.h.exec('create materialized view post_count as select count(*)::int as n from posts')
    try {
      const { pgMaterializedView, integer } = await import('drizzle-orm/pg-core')
      const mv = pgMaterializedView('post_count', { n: integer('n') }).existing()
      const read = () => ctx.db.select().from(mv)
      expect(await read()).toEqual([{ n: 2 }])
      await ctx.db.insert(ctx.h.t.posts).values({ authorId: 2, title: 'x' })
      expect(await read()).toEqual([{ n: 2 }])
      await ctx.db.refreshMaterializedView(mv)
      expect(await read()).toEqual([{ n: 3 }])
    } finally {
      await ctx.h.exec('drop materialized view post_count')
    }
  })
})
