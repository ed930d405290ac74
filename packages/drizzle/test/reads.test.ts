import { and, count, eq, exists, gt, inArray, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { targets, useDatabase } from './support/setup.js'

describe.each(targets)('reads depend on every table they read (%s, %s store)', (kind, store) => {
  const ctx = useDatabase(kind, { store })

  /** Runs `read` twice (second must be a hit), writes behind nothing but through the cached db, reads again. */
  async function readWriteRead<T = any>(
    read: () => Promise<T> | T,
    write: () => Promise<unknown>,
    check: (before: T, after: T) => void,
  ) {
    const before = await read()
    const hitsBefore = ctx.cache.stats().hits
    expect(await read()).toEqual(before)
    expect(ctx.cache.stats().hits).toBe(hitsBefore + 1)
    await write()
    const after = await read()
    check(before, after)
  }

  const newPost = () =>
    ctx.db.insert(ctx.h.t.posts).values({ authorId: 2, title: 'new', published: true })

  it('select builder', async () => {
    const { users } = ctx.h.t
    await readWriteRead(
      () => ctx.db.select().from(users).orderBy(users.id),
      () => ctx.db.insert(users).values({ name: 'carol' }),
      (b, a) => expect(a.length).toBe(b.length + 1),
    )
  })

  it('joins', async () => {
    const { users, posts } = ctx.h.t
    await readWriteRead(
      () =>
        ctx.db
          .select({ title: posts.title, author: users.name })
          .from(posts)
          .innerJoin(users, eq(users.id, posts.authorId))
          .orderBy(posts.id),
      () => ctx.db.update(users).set({ name: 'alicia' }).where(eq(users.id, 1)),
      (_, a) => expect(a[0].author).toBe('alicia'),
    )
  })

  it('subquery in where', async () => {
    const { users, posts } = ctx.h.t
    await readWriteRead(
      () =>
        ctx.db
          .select({ name: users.name })
          .from(users)
          .where(inArray(users.id, ctx.db.select({ id: posts.authorId }).from(posts)))
          .orderBy(users.id),
      newPost,
      (b, a) => {
        expect(b).toEqual([{ name: 'alice' }])
        expect(a).toEqual([{ name: 'alice' }, { name: 'bob' }])
      },
    )
  })

  it('exists() subquery', async () => {
    const { users, posts } = ctx.h.t
    await readWriteRead(
      () =>
        ctx.db
          .select({ id: users.id })
          .from(users)
          .where(exists(ctx.db.select().from(posts).where(eq(posts.authorId, users.id))))
          .orderBy(users.id),
      newPost,
      (b, a) => expect(a.length).toBe(b.length + 1),
    )
  })

  it('subquery in from', async () => {
    const { posts } = ctx.h.t
    const sq = () =>
      ctx.db
        .select({ authorId: posts.authorId, n: count().as('n') })
        .from(posts)
        .groupBy(posts.authorId)
        .as('sq')
    await readWriteRead(
      () => ctx.db.select().from(sq()).orderBy(sql`1`),
      newPost,
      (b, a) => expect(a.length).toBe(b.length + 1),
    )
  })

  it('CTE via $with', async () => {
    const { users, posts } = ctx.h.t
    const read = () => {
      const published = ctx.db
        .$with('published')
        .as(
          ctx.db.select({ authorId: posts.authorId }).from(posts).where(eq(posts.published, true)),
        )
      return ctx.db
        .with(published)
        .select({ name: users.name })
        .from(users)
        .where(inArray(users.id, ctx.db.select({ id: published.authorId }).from(published)))
        .orderBy(users.id)
    }
    await readWriteRead(read, newPost, (b, a) => expect(a.length).toBe(b.length + 1))
  })

  it('views', async () => {
    const { published, posts } = ctx.h.t
    await readWriteRead(
      () => ctx.db.select({ title: published.title }).from(published).orderBy(published.id),
      () => ctx.db.update(posts).set({ published: true }).where(eq(posts.id, 2)),
      (b, a) => expect(a.length).toBe(b.length + 1),
    )
  })

  it('sql fragments that interpolate a table', async () => {
    const { users, posts } = ctx.h.t
    await readWriteRead(
      () =>
        ctx.db
          .select({
            name: users.name,
            n: sql<number>`(select count(*) from ${posts} p where p.author_id = ${users}.id)`.mapWith(
              Number,
            ),
          })
          .from(users)
          .orderBy(users.id),
      newPost,
      (b, a) => {
        expect(b[1].n).toBe(0)
        expect(a[1].n).toBe(1)
      },
    )
  })

  it('sql fragments that name a table in plain text', async () => {
    const { users } = ctx.h.t
    await readWriteRead(
      () =>
        ctx.db
          .select({
            name: users.name,
            n: sql<number>`(select count(*) from posts p where p.author_id = ${users}.id)`.mapWith(
              Number,
            ),
          })
          .from(users)
          .orderBy(users.id),
      newPost,
      (b, a) => {
        expect(b[1].n).toBe(0)
        expect(a[1].n).toBe(1)
      },
    )
  })

  it('sql fragments naming an unknown relation depend on every write', async () => {
    const { users } = ctx.h.t
    await ctx.h.exec('create table extra (id integer)')
    try {
      await readWriteRead(
        () =>
          ctx.db
            .select({
              name: users.name,
              n: sql<number>`(select count(*) from extra)`.mapWith(Number),
            })
            .from(users)
            .orderBy(users.id),
        () =>
          ctx.db.execute?.(sql`insert into extra values (1)`) ??
          ctx.db.run(sql`insert into extra values (1)`),
        (_, a) => expect(a[0].n).toBe(1),
      )
    } finally {
      await ctx.h.exec('drop table extra')
    }
  })

  it('relational findMany with nested with', async () => {
    await readWriteRead(
      () =>
        ctx.db.query.users.findMany({
          with: { posts: { with: { comments: true } } },
          orderBy: (u: any, { asc }: any) => [asc(u.id)],
        }),
      () => ctx.db.insert(ctx.h.t.comments).values({ postId: 1, body: 'second' }),
      (b, a) => {
        expect(b[0].posts[0].comments).toHaveLength(1)
        expect(a[0].posts[0].comments).toHaveLength(2)
      },
    )
  })

  it('relational findFirst', async () => {
    const { users } = ctx.h.t
    await readWriteRead(
      () => ctx.db.query.users.findFirst({ where: eq(users.id, 2), with: { posts: true } }),
      newPost,
      (b, a) => {
        expect(b.posts).toEqual([])
        expect(a.posts).toHaveLength(1)
      },
    )
    // findFirst and findMany with the same SQL do not share results
    const many = await ctx.db.query.users.findMany({ where: eq(users.id, 2), limit: 1 })
    expect(Array.isArray(many)).toBe(true)
    const first = await ctx.db.query.users.findFirst({ where: eq(users.id, 2) })
    expect(Array.isArray(first)).toBe(false)
  })

  it('$count', async () => {
    const { posts } = ctx.h.t
    await readWriteRead(
      () => ctx.db.$count(posts, eq(posts.authorId, 2)),
      newPost,
      (b, a) => {
        expect(b).toBe(0)
        expect(a).toBe(1)
      },
    )
  })

  it('$count embedded in a select', async () => {
    const { users, posts } = ctx.h.t
    await readWriteRead(
      () =>
        ctx.db
          .select({ id: users.id, n: ctx.db.$count(posts, sql`${posts.authorId} = ${users}.id`) })
          .from(users)
          .orderBy(users.id),
      newPost,
      (_, a) => expect(a[1].n).toBe(1),
    )
  })

  it('set operations', async () => {
    const { users, posts } = ctx.h.t
    await readWriteRead(
      () =>
        ctx.db
          .select({ id: users.id })
          .from(users)
          .union(ctx.db.select({ id: posts.authorId }).from(posts).where(gt(posts.id, 5))),
      () => ctx.db.insert(posts).values({ id: 20, authorId: 2, title: 'x' }),
      (b, a) => expect(a).toEqual(b),
    )
  })

  it('prepared statements with placeholders', async () => {
    const { posts } = ctx.h.t
    const prepared = ctx.db
      .select()
      .from(posts)
      .where(and(eq(posts.authorId, sql.placeholder('author'))))
      .prepare('posts_by_author')
    await readWriteRead(
      () => (kind === 'pg' ? prepared.execute({ author: 2 }) : prepared.all({ author: 2 })),
      newPost,
      (b, a) => expect(a.length).toBe(b.length + 1),
    )
    const one =
      kind === 'pg' ? await prepared.execute({ author: 1 }) : await prepared.all({ author: 1 })
    expect(one).toHaveLength(2)
  })
})
