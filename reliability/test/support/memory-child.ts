// Run in a child process with --expose-gc: a sustained, write-heavy load through both adapters
// on SQLite, cached in a memory store with a small byte bound. Reports the store's size after
// every operation and the heap after a full GC at the end of every round.
import { createClient } from '@libsql/client'
import { createQueryCache, memoryStore } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import { cacheExtension } from '@querycache/prisma'
import { createSqliteDatabase, seedBlog } from '@querycache/schema'
import * as schema from '@querycache/schema/drizzle/sqlite'
import { and, eq, gte, lt } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/libsql'
import { rng } from './util.ts'

export interface MemoryReport {
  maxBytes: number
  maxEntries: number
  peakBytes: number
  peakEntries: number
  heapMb: number[]
  ops: number
  ms: number
  stats: { hits: number; misses: number; sets: number; skipped: number; invalidations: number }
}

const ROUNDS = Number(process.env.QC_ROUNDS ?? 10)
const OPS = Number(process.env.QC_OPS ?? 400)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

const db = await createSqliteDatabase()
await seedBlog(db, { users: 20, posts: 300, comments: 600 })
const store = memoryStore({ maxBytes: 256 * 1024, maxEntries: 5000 })
const cache = createQueryCache({ store, ttl: 600 })
// QC_NOCACHE=1: the same load without querycache, to tell the ORMs' own growth from ours
const uncached = process.env.QC_NOCACHE === '1'
const prisma = uncached ? (db.client() as unknown as ReturnType<typeof cached>) : cached()
function cached() {
  return db.client().$extends(cacheExtension({ cache }))
}
const libsql = createClient({ url: db.url })
const dz = uncached
  ? drizzle({ client: libsql, schema })
  : withQueryCache(drizzle({ client: libsql, schema }), { cache, name: 'memory' })
const { posts, comments } = schema

const R = rng(42)
let peakBytes = 0
let peakEntries = 0
const heapMb: number[] = []
const t0 = performance.now()
let ops = 0
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < OPS; i++, ops++) {
    const x = R.next()
    const id = R.int(1, 300)
    if (x < 0.3) {
      await prisma.post.update({
        where: { id },
        data: { title: `t${round}-${i}`.repeat(R.int(1, 40)) },
      })
    } else if (x < 0.45) {
      await dz.update(posts).set({ score: R.next() }).where(eq(posts.id, id))
    } else if (x < 0.55) {
      const c = await prisma.comment.create({
        data: { body: 'x'.repeat(R.int(1, 500)), postId: id },
      })
      if (R.chance(0.8)) await dz.delete(comments).where(eq(comments.id, c.id))
    } else if (x < 0.6) {
      await prisma.$executeRaw`UPDATE users SET name = ${`n${i}`} WHERE id = ${R.int(1, 20)}`
    } else if (x < 0.65) {
      await prisma.category.findMany({ orderBy: { id: 'asc' } }) // never written: hits
    } else if (x < 0.8) {
      // many distinct keys, results of a few bytes to a few tens of KB
      await prisma.post.findMany({
        where: { id: { gte: id } },
        take: R.int(1, 60),
        include: { comments: R.chance(0.5) },
      })
    } else {
      await dz
        .select()
        .from(posts)
        .where(and(gte(posts.id, id), lt(posts.id, id + R.int(1, 80))))
    }
    const size = store.size
    peakBytes = Math.max(peakBytes, size.bytes)
    peakEntries = Math.max(peakEntries, size.entries)
  }
  gc()
  await new Promise((r) => setTimeout(r, 10))
  gc()
  heapMb.push(process.memoryUsage().heapUsed / 2 ** 20)
}
const s = cache.stats()
const report: MemoryReport = {
  maxBytes: store.size.maxBytes,
  maxEntries: store.size.maxEntries,
  peakBytes,
  peakEntries,
  heapMb,
  ops,
  ms: performance.now() - t0,
  stats: {
    hits: s.hits,
    misses: s.misses,
    sets: s.sets,
    skipped: s.skipped,
    invalidations: s.invalidations,
  },
}
await prisma.$disconnect()
libsql.close()
await cache.close()
await db.drop()
process.send!(report, () => process.exit(0))
