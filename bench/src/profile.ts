// Runs one benchmark case in a hot loop, for CPU profiling:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/profile.ts <case> [seconds]
// Cases: prisma-findmany-hit, prisma-findmany-redis-hit (the Redis at REDIS_URL), prisma-findmany-miss (invalidates first), prisma-findunique-hit, prisma-findunique-miss, drizzle-join-hit, drizzle-join-builtin,
// drizzle-join-uncached, drizzle-byid-hit, drizzle-prepared-hit, drizzle-prepared-miss (invalidates first),
// drizzle-prepared-uncached. All on PostgreSQL, seeded as in the bench. QC_KEEP_DECODED=0
// turns the cache's keepDecoded off, to compare.
import { createQueryCache, memoryStore } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import { cacheExtension } from '@querycache/prisma'
import type { BlogClient } from '@querycache/schema'
import * as s from '@querycache/schema/drizzle/pg'
import { redisAdapter } from '@querycache/testing/redis'
import { eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { seededDatabase } from './fixtures.js'
import { JOIN as DRIZZLE_JOIN, QUERIES as DRIZZLE_QUERIES, MapCache } from './suites/drizzle.js'
import { JOIN as PRISMA_JOIN, QUERIES as PRISMA_QUERIES } from './suites/prisma.js'

const [name = 'drizzle-join-hit', secondsArg = '5'] = process.argv.slice(2)
const db = await seededDatabase('postgresql')
const pool = new pg.Pool({ connectionString: db.url })
const prisma = db.client()
const cache = createQueryCache({
  store: memoryStore(),
  ttl: null,
  keepDecoded: process.env.QC_KEEP_DECODED !== '0',
})

const join = (d: unknown) => DRIZZLE_QUERIES[DRIZZLE_JOIN]!(d, s)
const ours = () => withQueryCache(drizzle({ client: pool, schema: s }), { cache, name: 'p' }) as any
const cached = () => prisma.$extends(cacheExtension({ cache })) as unknown as BlogClient

const findMany = PRISMA_QUERIES[PRISMA_JOIN]!
const preparedById = (d: any, name: string) =>
  d
    .select()
    .from(s.posts)
    .where(eq(s.posts.id, sql.placeholder('id')))
    .prepare(name) as { execute(values: object): Promise<unknown> }
const closing: { close(): Promise<void> }[] = []
const cases: Record<string, () => () => Promise<unknown>> = {
  'prisma-findmany-hit': () => {
    const c = cached()
    return () => findMany(c)
  },
  'prisma-findmany-miss': () => {
    const c = cached() as BlogClient & { $cache: typeof cache }
    return async () => {
      await c.$cache.invalidateModel('Post')
      return findMany(c)
    }
  },
  'prisma-findmany-redis-hit': () => {
    const onRedis = createQueryCache({ store: redisAdapter(), ttl: null, namespace: 'profile' })
    closing.push(onRedis)
    const c = prisma.$extends(cacheExtension({ cache: onRedis })) as unknown as BlogClient
    return () => findMany(c)
  },
  'prisma-findunique-hit': () => {
    const c = cached()
    return () => c.post.findUnique({ where: { id: 42 } })
  },
  'prisma-findunique-miss': () => {
    const c = cached() as BlogClient & { $cache: typeof cache }
    return async () => {
      await c.$cache.invalidateModel('Post')
      return c.post.findUnique({ where: { id: 42 } })
    }
  },
  'drizzle-join-hit': () => {
    const d = ours()
    return async () => join(d)
  },
  'drizzle-join-builtin': () => {
    const d = drizzle({ client: pool, schema: s, cache: new MapCache(true) })
    return async () => join(d)
  },
  'drizzle-join-uncached': () => {
    const d = drizzle({ client: pool, schema: s })
    return async () => join(d)
  },
  'drizzle-byid-hit': () => {
    const d = ours()
    return async () => DRIZZLE_QUERIES['select by id']!(d, s)
  },
  'drizzle-prepared-hit': () => {
    const p = preparedById(ours(), 'by_id')
    return async () => p.execute({ id: 42 })
  },
  'drizzle-prepared-miss': () => {
    const d = ours()
    const p = preparedById(d, 'by_id_miss')
    return async () => {
      await d.$cache.invalidateModels(['posts'])
      return p.execute({ id: 42 })
    }
  },
  'drizzle-prepared-uncached': () => {
    const p = preparedById(drizzle({ client: pool, schema: s }), 'by_id_uncached')
    return async () => p.execute({ id: 42 })
  },
}
const make = cases[name]
if (!make) throw new Error(`unknown case ${name}; one of ${Object.keys(cases).join(', ')}`)
const run = make()
try {
  await run()
  const until = performance.now() + Number(secondsArg) * 1000
  let n = 0
  const started = performance.now()
  while (performance.now() < until) {
    await run()
    n++
  }
  console.log(
    `${name}: ${n} calls, ${(((performance.now() - started) / n) * 1000).toFixed(1)} µs/call`,
  )
} finally {
  await cache.close()
  for (const c of closing) await c.close()
  await prisma.$disconnect()
  await pool.end()
  await db.drop()
}
