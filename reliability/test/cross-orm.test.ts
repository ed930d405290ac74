// A Prisma service and a Drizzle service on one database and one store see each other's writes:
// both adapters name tables the same way (core's tableDependency) next to their own names.
import { createClient } from '@libsql/client'
import { createQueryCache } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import { cacheExtension } from '@querycache/prisma'
import { createBlogDatabase, seedBlog } from '@querycache/schema'
import * as pgSchema from '@querycache/schema/drizzle/pg'
import * as sqliteSchema from '@querycache/schema/drizzle/sqlite'
import { eq, sql } from 'drizzle-orm'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { describe, expect, test } from 'vitest'

describe.each(['sqlite', 'postgresql'] as const)('%s', (provider) => {
  test('writes through either ORM invalidate the other ORM’s cached reads', async () => {
    const db = await createBlogDatabase(provider)
    await seedBlog(db, { users: 5, posts: 10, comments: 10 })
    const cache = createQueryCache()
    const base = db.client()
    const prisma = base.$extends(cacheExtension({ cache }))
    const pool = provider === 'postgresql' ? new pg.Pool({ connectionString: db.url }) : undefined
    const libsql = pool ? undefined : createClient({ url: db.url })
    const schema = (pool ? pgSchema : sqliteSchema) as typeof sqliteSchema
    const plain = (
      pool
        ? drizzlePg({ client: pool, schema: pgSchema })
        : drizzleLibsql({ client: libsql!, schema: sqliteSchema })
    ) as ReturnType<typeof drizzleLibsql<typeof sqliteSchema>>
    const drizzleDb = withQueryCache(plain, { cache })
    try {
      const viaDrizzle = async () =>
        (
          await drizzleDb
            .select({ title: schema.posts.title })
            .from(schema.posts)
            .where(eq(schema.posts.id, 1))
        )[0]?.title
      const viaPrisma = async () => (await prisma.post.findUnique({ where: { id: 1 } }))?.title
      const tagsViaPrisma = async () =>
        (await prisma.category.findMany({ include: { posts: { select: { id: true } } } })).flatMap(
          (c) => c.posts,
        ).length

      await viaDrizzle()
      await viaPrisma()
      await tagsViaPrisma()
      await prisma.post.update({ where: { id: 1 }, data: { title: 'from Prisma' } })
      expect(await viaDrizzle()).toBe('from Prisma')
      await drizzleDb
        .update(schema.posts)
        .set({ title: 'from Drizzle' })
        .where(eq(schema.posts.id, 1))
      expect(await viaPrisma()).toBe('from Drizzle')
      // Drizzle writing Prisma's implicit many-to-many table
      const before = await tagsViaPrisma()
      if (pool)
        await (drizzleDb as unknown as { execute(q: unknown): Promise<unknown> }).execute(
          sql`DELETE FROM "_CategoryToPost" WHERE "B" = 1`,
        )
      else await drizzleDb.run(sql`DELETE FROM "_CategoryToPost" WHERE "B" = 1`)
      expect(await tagsViaPrisma()).toBe(before - 1)
      expect(cache.stats().hits).toBe(0) // every read above followed a write that changed it

      // foreign-key actions across ORMs: a Drizzle db given no schema, which never used
      // `comments`, deletes a user; Prisma's cached comments see the SET NULL of their author
      const bare = withQueryCache(
        (pool ? drizzlePg({ client: pool }) : drizzleLibsql({ client: libsql! })) as typeof plain,
        { cache },
      )
      if (libsql) await libsql.execute('PRAGMA foreign_keys = ON')
      const authorOfComment1 = async () =>
        (await prisma.comment.findUnique({ where: { id: 1 } }))?.authorId
      const author = await authorOfComment1()
      expect(author).not.toBeNull()
      await bare.delete(schema.users).where(eq(schema.users.id, author!))
      expect(await authorOfComment1()).toBeNull()
      // and the other way: Prisma deletes a post, Drizzle's cached comment count follows
      const commentsOfPost2 = async () =>
        (
          await drizzleDb
            .select({ id: schema.comments.id })
            .from(schema.comments)
            .where(eq(schema.comments.postId, 2))
        ).length
      const before2 = await commentsOfPost2()
      expect(before2).toBeGreaterThan(0)
      await prisma.post.delete({ where: { id: 2 } })
      expect(await commentsOfPost2()).toBe(0)
    } finally {
      await base.$disconnect()
      await pool?.end()
      libsql?.close()
      await cache.close()
      await db.drop()
    }
  })
})
