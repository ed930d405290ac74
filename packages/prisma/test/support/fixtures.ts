import { createQueryCache, type QueryCache, type QueryCacheOptions } from '@querycache/core'
import {
  type BlogClient,
  type BlogDatabase,
  createBlogDatabase,
  MYSQL_URL,
  mysqlAvailable,
} from '@querycache/schema'
import { uniqueNamespace } from '@querycache/testing/redis'
import { afterAll, onTestFinished } from 'vitest'
import { type CacheExtensionOptions, cacheExtension } from '../../src/index.js'

export { redisAdapter, uniqueNamespace } from '@querycache/testing/redis'

export type Provider = 'sqlite' | 'postgresql' | 'mysql'

// MySQL/MariaDB (MYSQL_URL) runs when a server answers; `.ci/run` makes sure one does
const withMysql = await mysqlAvailable()
if (!withMysql)
  console.warn(`no MySQL/MariaDB server at ${MYSQL_URL}: the Prisma mysql cases are skipped`)
export const PROVIDERS: readonly Provider[] = [
  'sqlite',
  'postgresql',
  ...(withMysql ? (['mysql'] as const) : []),
]

export function extend(client: BlogClient, options: CacheExtensionOptions = {}) {
  return client.$extends(cacheExtension(options))
}
export type CachedClient = ReturnType<typeof extend>

export interface Blog {
  db: BlogDatabase
  /** The plain client: writes through it bypass querycache, as another application's would. */
  base: BlogClient
  prisma: CachedClient
  cache: QueryCache
}

interface Opened {
  db: BlogDatabase
  clients: { $disconnect(): Promise<void> }[]
  caches: QueryCache[]
}
const opened: Opened[] = []

/** Databases being dropped: a test does not wait for its own (about 150 ms on PostgreSQL). */
const dropping: Promise<void>[] = []

async function release(o: Opened): Promise<void> {
  for (const c of o.clients) await c.$disconnect()
  for (const c of o.caches) await c.close()
  dropping.push(o.db.drop())
}

afterAll(async () => {
  for (const o of opened.splice(0)) await release(o)
  await Promise.all(dropping.splice(0))
})

/** Released when the test that opened it ends (connections are few on MySQL), else after the file. */
function track(o: Opened): void {
  try {
    onTestFinished(() => release(o))
  } catch {
    opened.push(o) // opened outside a test (beforeAll)
  }
}

/** A fresh database with a small seeded blog and a cached client over it. */
export async function openBlog(
  provider: Provider,
  options: Omit<CacheExtensionOptions, 'cache'> & { cache?: QueryCacheOptions } = {},
): Promise<Blog> {
  const db = await createBlogDatabase(provider)
  const base = db.client()
  const cache = createQueryCache({ namespace: uniqueNamespace('prisma'), ...options.cache })
  const prisma = extend(base, { ...options, cache })
  track({ db, clients: [base, prisma], caches: [cache] })
  await seed(base)
  return { db, base, prisma, cache }
}

export async function seed(client: BlogClient): Promise<void> {
  const ada = await client.user.create({
    data: { email: 'ada@example.com', name: 'Ada', role: 'ADMIN' },
  })
  const bob = await client.user.create({
    data: { email: 'bob@example.com', name: 'Bob', invitedById: ada.id },
  })
  await client.profile.create({ data: { bio: 'first programmer', userId: ada.id } })
  const news = await client.category.create({ data: { name: 'news' } })
  await client.category.create({ data: { name: 'tech' } })
  const tag = await client.tag.create({ data: { name: 'intro' } })
  const post = await client.post.create({
    data: {
      title: 'Hello',
      published: true,
      authorId: ada.id,
      views: 10n,
      rating: '4.5',
      metadata: { lang: 'en' },
      categories: { connect: { id: news.id } },
    },
  })
  await client.post.create({ data: { title: 'Draft', authorId: bob.id } })
  await client.postTag.create({ data: { postId: post.id, tagId: tag.id } })
  await client.comment.create({ data: { body: 'Nice', postId: post.id, authorId: bob.id } })
}
