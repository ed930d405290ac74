// A Prisma service and a Drizzle service on one database and one store see each other's writes:
// both adapters name tables the same way (core's tableDependency) next to their own names.
import { createQueryCache } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import { cacheExtension } from '@querycache/prisma'
import { createBlogDatabase, seedBlog } from '@querycache/schema'
import { openDrizzleBlog } from '@querycache/schema/drizzle'
import { eq, sql } from 'drizzle-orm'
import { describe, expect, test } from 'vitest'

describe.each(['sqlite', 'postgresql'] as const)('%s', (provider) => {
  test('writes through either ORM invalidate the other ORM’s cached reads', async () => {
    const db = await createBlogDatabase(provider)
    await seedBlog(db, { users: 5, posts: 10, comments: 10 })
    const cache = createQueryCache()
    const base = db.client()
    const prisma = base.$extends(cacheExtension({ cache }))
    const blog = openDrizzleBlog(db)
    // a Drizzle db given no schema: it has never seen `comments`
    const bareBlog = openDrizzleBlog(db, { schema: false })
    const { schema } = blog
    const drizzleDb = withQueryCache(blog.db, { cache })
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
      await blog.run(drizzleDb, sql`DELETE FROM "_CategoryToPost" WHERE "B" = 1`)
      expect(await tagsViaPrisma()).toBe(before - 1)
      expect(cache.stats().hits).toBe(0) // every read above followed a write that changed it

      // foreign-key actions across ORMs: a Drizzle db given no schema, which never used
      // `comments`, deletes a user; Prisma's cached comments see the SET NULL of their author
      if (provider === 'sqlite') await bareBlog.run(bareBlog.db, sql`PRAGMA foreign_keys = ON`)
      const bare = withQueryCache(bareBlog.db, { cache })
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
      await blog.close()
      await bareBlog.close()
      await cache.close()
      await db.drop()
    }
  })
})
