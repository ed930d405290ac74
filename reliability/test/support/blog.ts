// A small blog database on PostgreSQL and the two ORMs over it, each cached by a given cache.
import type { QueryCache } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import { cacheExtension } from '@querycache/prisma'
import { type BlogDatabase, connectBlogClient, createPostgresDatabase } from '@querycache/schema'
import * as schema from '@querycache/schema/drizzle/pg'
import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'

export const ADAPTERS = ['prisma', 'drizzle'] as const
export type AdapterKind = (typeof ADAPTERS)[number]

/** A fresh PostgreSQL database with 2 users, 3 posts and a comment. */
export async function smallBlog(): Promise<BlogDatabase> {
  const db = await createPostgresDatabase()
  await db.exec(`
    INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada'), ('bob@example.com', 'Bob');
    INSERT INTO posts (title, author_id, published) VALUES ('v0', 1, true), ('Second', 2, true), ('Draft', 1, false);
    INSERT INTO comments (body, post_id, author_id) VALUES ('Nice', 1, 2);`)
  return db
}

/** The same operations through either adapter, so a scenario runs on both. */
export interface Subject {
  kind: AdapterKind
  cache: QueryCache
  /** title of post 1, through the cache */
  readTitle(): Promise<string | undefined>
  /** the same query, bypassing the cache */
  readTitleUncached(): Promise<string | undefined>
  writeTitle(title: string): Promise<void>
  /** every post, ordered by id, through the cache (with per-call cache options) */
  listPosts(options?: { key?: string; tags?: string[] }): Promise<{ id: number; title: string }[]>
  close(): Promise<void>
}

export function openSubject(
  kind: AdapterKind,
  url: string,
  cache: QueryCache,
  extra: { scope?: () => string | undefined } = {},
): Subject {
  if (kind === 'prisma') {
    const prisma = connectBlogClient('postgresql', url).$extends(
      cacheExtension({ cache, ...(extra.scope ? { scope: extra.scope } : {}) }),
    )
    return {
      kind,
      cache,
      async readTitle() {
        return (await prisma.post.findUnique({ where: { id: 1 }, include: { comments: true } }))
          ?.title
      },
      async readTitleUncached() {
        return (
          await prisma.post.findUnique({
            where: { id: 1 },
            include: { comments: true },
            cache: false,
          })
        )?.title
      },
      async writeTitle(title) {
        await prisma.post.update({ where: { id: 1 }, data: { title } })
      },
      async listPosts(options) {
        const rows = await prisma.post.findMany({
          orderBy: { id: 'asc' },
          ...(options ? { cache: options } : {}),
        })
        return rows.map((r) => ({ id: r.id, title: r.title }))
      },
      close: () => prisma.$disconnect(),
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', () => {})
  const db = withQueryCache(drizzle({ client: pool, schema }), {
    cache,
    name: 'reliability',
    ...(extra.scope ? { scope: extra.scope } : {}),
  })
  const { posts } = schema
  return {
    kind,
    cache,
    async readTitle() {
      return (await db.query.posts.findFirst({ where: eq(posts.id, 1), with: { comments: true } }))
        ?.title
    },
    async readTitleUncached() {
      const [row] = await db.select().from(posts).where(eq(posts.id, 1)).$withCache(false)
      return row?.title
    },
    async writeTitle(title) {
      await db.update(posts).set({ title }).where(eq(posts.id, 1))
    },
    async listPosts(options) {
      const q = db.select({ id: posts.id, title: posts.title }).from(posts).orderBy(posts.id)
      return options ? q.$withCache(options) : q
    },
    close: () => pool.end(),
  }
}
