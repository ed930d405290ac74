// `pnpm demo`: seeds a blog, then shows querycache at work with Prisma: each read uncached vs
// cached, what each write invalidated, and that the next read is fresh.
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createQueryCache } from '@querycache/core'
import { cacheExtension } from '@querycache/prisma'
import { DEFAULT_SEED, seedBlog } from '@querycache/schema'
import { DemoRun, environment, progress } from '@querycache/schema/demo-kit'
import { NEAR_NEEDS_REDIS, nearCacheDemo } from '@querycache/schema/near-demo'

const env = await environment()
for (const w of env.warnings) console.warn(`warning: ${w}`)
console.log(`Prisma demo on ${env.label}`)
await seedBlog(env.db, DEFAULT_SEED, progress('seeding 6k rows'))

const base = env.db.client() // the plain client, for the "uncached" column
let run!: DemoRun
const cache = createQueryCache({
  store: env.redis,
  namespace: `demo-prisma-${randomUUID().slice(0, 8)}`,
  onInvalidate: (e) => run.onInvalidate(e),
})
const prisma = base.$extends(cacheExtension({ cache, ttl: 60 }))
// show the models; the table names and tokens it also invalidates are for other services
run = new DemoRun('Prisma', cache, (name) => /^[A-Z]/.test(name))

const page = {
  where: { published: true },
  include: { author: true },
  orderBy: { id: 'desc' },
  take: 20,
} as const
const byAuthor = {
  by: ['authorId' as const],
  _count: { _all: true as const },
  orderBy: { authorId: 'asc' as const },
  take: 5,
}
const withComments = {
  where: { id: 7 },
  include: { comments: true, tags: { include: { tag: true } } },
} as const

await run.read(
  'post.findUnique by id',
  () => base.post.findUnique({ where: { id: 42 } }),
  () => prisma.post.findUnique({ where: { id: 42 } }),
)
await run.read(
  'post.findMany 20 rows + author',
  () => base.post.findMany(page),
  () => prisma.post.findMany(page),
)
await run.read(
  'post.groupBy author, count',
  () => base.post.groupBy(byAuthor),
  () => prisma.post.groupBy(byAuthor),
)
await run.read(
  'post + comments + tags',
  () => base.post.findUnique(withComments),
  () => prisma.post.findUnique(withComments),
)
await run.read(
  'user.count with a relation filter',
  () => base.user.count({ where: { posts: { some: { published: false } } } }),
  () => prisma.user.count({ where: { posts: { some: { published: false } } } }),
)

await run.write(
  'post.update title of post 2000',
  () => prisma.post.update({ where: { id: 2000 }, data: { title: 'Edited' } }),
  {
    name: 'the 20-row page',
    cached: () => prisma.post.findMany(page),
    uncached: () => base.post.findMany(page),
  },
)
await run.write(
  'user.update name (only the included model)',
  () => prisma.user.update({ where: { id: 1 }, data: { name: 'Ada Lovelace' } }),
  {
    name: 'the 20-row page',
    cached: () => prisma.post.findMany(page),
    uncached: () => base.post.findMany(page),
  },
)
await run.write(
  'nested: user.update { posts: { create } }',
  () =>
    prisma.user.update({
      where: { id: 3 },
      data: { posts: { create: { title: 'Nested', published: true } } },
    }),
  {
    name: 'the 20-row page',
    cached: () => prisma.post.findMany(page),
    uncached: () => base.post.findMany(page),
  },
)
await run.write(
  'nested: post.update { comments: { deleteMany } }',
  () => prisma.post.update({ where: { id: 7 }, data: { comments: { deleteMany: {} } } }),
  {
    name: 'post + comments + tags',
    cached: () => prisma.post.findUnique(withComments),
    uncached: () => base.post.findUnique(withComments),
  },
)
await run.write(
  'cascade: post.delete 42 (comments, tags go too)',
  () => prisma.post.delete({ where: { id: 42 } }),
  {
    name: 'post.groupBy author',
    cached: () => prisma.post.groupBy(byAuthor),
    uncached: () => base.post.groupBy(byAuthor),
  },
)
await run.write(
  'transaction: two writes, committed',
  () =>
    prisma.$transaction(async (tx) => {
      await tx.post.updateMany({ where: { authorId: 2 }, data: { published: false } })
      await tx.user.update({ where: { id: 2 }, data: { name: 'Bob' } })
    }),
  {
    name: 'user.count relation filter',
    cached: () => prisma.user.count({ where: { posts: { some: { published: false } } } }),
    uncached: () => base.user.count({ where: { posts: { some: { published: false } } } }),
  },
)
await run.write(
  '$executeRaw UPDATE posts',
  () => prisma.$executeRaw`UPDATE posts SET title = ${'Raw'} WHERE id = ${1999}`,
  {
    name: 'the 20-row page',
    cached: () => prisma.post.findMany(page),
    uncached: () => base.post.findMany(page),
  },
)

let code = run.report()

// Two processes, each with a near cache in front of the same Redis: a write in A, seen in B
const nearNamespace = `demo-prisma-near-${randomUUID().slice(0, 8)}`
const near =
  env.newRedis &&
  createQueryCache({ store: env.newRedis(), namespace: nearNamespace, nearCache: true })
if (near) {
  const inA = base.$extends(cacheExtension({ cache: near }))
  code += await nearCacheDemo({
    title: 'Prisma',
    peer: fileURLToPath(new URL('./near-peer.ts', import.meta.url)),
    database: env.db,
    namespace: nearNamespace,
    a: {
      cache: near,
      read: () => inA.post.findUnique({ where: { id: 5 } }),
      write: (title) => inA.post.update({ where: { id: 5 }, data: { title } }),
    },
  })
} else console.log(NEAR_NEEDS_REDIS('Prisma'))
await base.$disconnect()
await cache.close()
await env.db.drop()
process.exit(code)
