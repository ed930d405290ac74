// The README's Prisma example, run by `pnpm --filter @querycache/example-prisma start`.
import './setup.js'
// #region readme
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { cacheExtension } from '@querycache/prisma'
import { PrismaClient } from '@querycache/schema/sqlite' // your generated client

const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url: 'file:blog.db' }) }).$extends(
  cacheExtension({ ttl: 60 }), // in memory; pass { cache: createQueryCache({ store }) } for Redis
)

const query = { where: { published: true }, include: { author: true }, take: 20 } as const
await prisma.post.findMany(query) // miss: runs the query, caches the rows
await prisma.post.findMany(query) // hit: served from the cache
await prisma.user.update({ where: { id: 1 }, data: { name: 'Ada' } }) // invalidates User (and so the include)
await prisma.post.findMany({ ...query, cache: { ttl: 600, tags: ['home'] } }) // per-call options
await prisma.$cache.invalidateTags(['home'])
console.log(prisma.$cache.stats()) // hits, misses, hitRatio, byModel
// #endregion
await prisma.$disconnect()
