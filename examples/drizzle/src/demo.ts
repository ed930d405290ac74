// `pnpm demo`: seeds a blog, then shows querycache at work with Drizzle: each read uncached vs
// cached, what each write invalidated, and that the next read is fresh.
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createQueryCache } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import { DEFAULT_SEED, seedBlog } from '@querycache/schema'
import { DemoRun, environment, progress } from '@querycache/schema/demo-kit'
import { openDrizzleBlog } from '@querycache/schema/drizzle'
import { NEAR_NEEDS_REDIS, nearCacheDemo } from '@querycache/schema/near-demo'
import { count, desc, eq, inArray, sql } from 'drizzle-orm'

const env = await environment()
for (const w of env.warnings) console.warn(`warning: ${w}`)
console.log(`Drizzle demo on ${env.label}`)
await seedBlog(env.db, DEFAULT_SEED, progress('seeding 6k rows'))

// The scenarios are written once, against the SQLite types (see openDrizzleBlog)
const blog = openDrizzleBlog(env.db)
const { db: plain, schema } = blog

let run!: DemoRun
const cache = createQueryCache({
  store: env.redis,
  namespace: `demo-drizzle-${randomUUID().slice(0, 8)}`,
  onInvalidate: (e) => run.onInvalidate(e),
})
const db = withQueryCache(plain, { cache, ttl: 60, name: 'demo' })
// show the tables; `*unknown` and the `:deleted` tokens are bookkeeping
run = new DemoRun('Drizzle', cache, (name) => !name.includes('*') && !name.includes(':'))
const { posts, users, comments, postTags } = schema

type Db = typeof plain
const byId = (d: Db) => d.select().from(posts).where(eq(posts.id, 42))
const page = (d: Db) =>
  d
    .select({ id: posts.id, title: posts.title, author: users.name })
    .from(posts)
    .leftJoin(users, eq(posts.authorId, users.id))
    .where(eq(posts.published, true))
    .orderBy(desc(posts.id))
    .limit(20)
const relational = (d: Db) =>
  d.query.posts.findFirst({ where: eq(posts.id, 7), with: { comments: true, tags: true } })
const perAuthor = (d: Db) =>
  d
    .select({ authorId: posts.authorId, n: count() })
    .from(posts)
    .groupBy(posts.authorId)
    .orderBy(posts.authorId)
    .limit(5)
// a table read only inside a subquery: Drizzle's built-in cache misses this dependency
const commenters = (d: Db) =>
  d
    .select({ id: users.id })
    .from(users)
    .where(
      inArray(
        users.id,
        d.select({ id: comments.authorId }).from(comments).where(eq(comments.postId, 7)),
      ),
    )
    .orderBy(users.id)
const total = (d: Db) => d.$count(comments)

await run.read(
  'select by id',
  () => byId(plain),
  () => byId(db),
)
await run.read(
  '20 rows join users',
  () => page(plain),
  () => page(db),
)
await run.read(
  'query.posts.findFirst with 2 relations',
  () => relational(plain),
  () => relational(db),
)
await run.read(
  'groupBy author, count',
  () => perAuthor(plain),
  () => perAuthor(db),
)
await run.read(
  'users in a comments subquery',
  () => commenters(plain),
  () => commenters(db),
)
await run.read(
  '$count(comments)',
  () => total(plain),
  () => total(db),
)

await run.write(
  'update posts title of post 2000',
  () => db.update(posts).set({ title: 'Edited' }).where(eq(posts.id, 2000)),
  { name: '20 rows join users', cached: () => page(db), uncached: () => page(plain) },
)
await run.write(
  'update users name (the joined table)',
  () => db.update(users).set({ name: 'Ada Lovelace' }).where(eq(users.id, 1)),
  { name: '20 rows join users', cached: () => page(db), uncached: () => page(plain) },
)
await run.write(
  'insert comments on post 7',
  () =>
    db.insert(comments).values({
      body: 'Hello',
      postId: 7,
      authorId: 3,
    }),
  {
    name: 'users in a comments subquery',
    cached: () => commenters(db),
    uncached: () => commenters(plain),
  },
)
await run.write(
  'delete post 7 (cascades to comments, tags)',
  () => db.delete(posts).where(eq(posts.id, 7)),
  { name: '$count(comments)', cached: () => total(db), uncached: () => total(plain) },
)
await run.write(
  'transaction: delete tags + update posts',
  () =>
    db.transaction(async (tx) => {
      await tx.delete(postTags).where(eq(postTags.postId, 8))
      await tx.update(posts).set({ authorId: 1 }).where(eq(posts.id, 1))
    }),
  { name: 'groupBy author, count', cached: () => perAuthor(db), uncached: () => perAuthor(plain) },
)
await run.write(
  'raw SQL: UPDATE posts …',
  () => blog.run(db, sql`UPDATE posts SET title = 'Raw' WHERE id = 1999`),
  { name: '20 rows join users', cached: () => page(db), uncached: () => page(plain) },
)

let code = run.report()

// Two processes, each with a near cache in front of the same Redis: a write in A, seen in B
const nearNamespace = `demo-drizzle-near-${randomUUID().slice(0, 8)}`
const near =
  env.newRedis &&
  createQueryCache({ store: env.newRedis(), namespace: nearNamespace, nearCache: true })
if (near) {
  const inA = withQueryCache(plain, { cache: near, name: 'demo' })
  code += await nearCacheDemo({
    title: 'Drizzle',
    peer: fileURLToPath(new URL('./near-peer.ts', import.meta.url)),
    database: env.db,
    namespace: nearNamespace,
    a: {
      cache: near,
      read: () => inA.query.posts.findFirst({ where: eq(posts.id, 5) }),
      write: (title) => inA.update(posts).set({ title }).where(eq(posts.id, 5)),
    },
  })
} else console.log(NEAR_NEEDS_REDIS('Drizzle'))
await cache.close()
await blog.close()
await env.db.drop()
process.exit(code)
