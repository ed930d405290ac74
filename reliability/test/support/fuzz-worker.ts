// One application process of the consistency fuzz: a Prisma client or a Drizzle db over the
// shared PostgreSQL database, cached in the shared Redis namespace, running a seeded random mix
// of reads and writes. It logs what every read saw and when every write resolved, and sends the
// log to the parent over IPC. Env: QC_KIND (prisma|drizzle), QC_WORKER, QC_SEED, QC_OPS,
// QC_LANES, QC_DB_URL, QC_REDIS_URL, QC_NAMESPACE, QC_SABOTAGE (1: invalidations do nothing, for
// the control run that proves the checker sees stale reads).
import { AsyncLocalStorage } from 'node:async_hooks'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createQueryCache } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import { cacheExtension } from '@querycache/prisma'
import { connectBlogClient } from '@querycache/schema'
import * as schema from '@querycache/schema/drizzle/pg'
import { redisAdapter } from '@querycache/testing/redis'
import { and, asc, eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import {
  type Observation,
  type ReadLog,
  stateValue,
  type Table,
  type WriteLog,
} from './fuzz-check.ts'
import { now, rng } from './util.ts'

const env = (name: string) => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`${name} is not set`)
  return v
}
const kind = env('QC_KIND') as 'prisma' | 'drizzle'
const worker = `${kind}${env('QC_WORKER')}`
const seed = Number(env('QC_SEED'))
const totalOps = Number(env('QC_OPS'))
const lanes = Number(process.env.QC_LANES ?? 3)
const url = env('QC_DB_URL')

const cacheErrors: string[] = []
/** QC_NEAR=1: a near cache in front of Redis, its messages logged with the write that sent them. */
const near = process.env.QC_NEAR === '1'
const writeTag = new AsyncLocalStorage<string>()
const messages: MessageLog[] = []
const cache = createQueryCache({
  store: redisAdapter(env('QC_REDIS_URL')),
  namespace: env('QC_NAMESPACE'),
  ttl: 120,
  timeoutMs: 1000,
  onError: (e) => cacheErrors.push(`${e.code}: ${e.message}`),
  nearCache: near && {
    onMessage: (e) =>
      messages.push({ ...e, tag: e.kind === 'published' ? writeTag.getStore() : undefined }),
  },
})
if (process.env.QC_SABOTAGE === '1') cache.invalidateModels = async () => {}

export interface WorkerReport {
  worker: string
  reads: ReadLog[]
  writes: WriteLog[]
  readErrors: string[]
  writeErrors: Record<string, number>
  cacheErrors: string[]
  stats: { hits: number; misses: number; sets: number; invalidations: number; nearHits?: number }
  /** Near cache: messages published (with the write they belong to, when known) and applied. */
  messages: MessageLog[]
  /** The longest this worker's event loop was blocked during the run. */
  loopDelayMaxMs: number
}

export interface MessageLog {
  kind: 'published' | 'applied'
  from: string
  seq: number
  at: number
  tag?: string | undefined
}

// Every operation draws from a generator of its own (seed, worker, op index), so a replay with
// the same seed makes the same choices even though lanes interleave differently.
const workerSalt = Math.imul(Number(env('QC_WORKER')) + (kind === 'drizzle' ? 100 : 0), 0x9e3779b1)
const opRng = new AsyncLocalStorage<ReturnType<typeof rng>>()
const cur = () => opRng.getStore()!
const R: ReturnType<typeof rng> = {
  next: () => cur().next(),
  int: (lo, hi) => cur().int(lo, hi),
  pick: (items) => cur().pick(items),
  chance: (p) => cur().chance(p),
}
/** Post ids this worker knows of (seeded ones, its own creations, those seen in reads). */
const postIds = new Set<number>(Array.from({ length: 16 }, (_, i) => i + 1))
// half of the picks go to a few hot rows, so reads repeat and the cache has something to serve
const somePost = () => (R.chance(0.5) ? R.int(1, 4) : R.pick([...postIds].sort((a, b) => a - b)))
const someUser = () => (R.chance(0.5) ? R.int(1, 3) : R.int(1, 10))
const deletableUser = () => R.int(4, 10)
/** deletions spare the hot rows, so they stay readable (and cacheable) for the whole run */
const deletablePost = () => {
  const cold = [...postIds].filter((id) => id > 4).sort((a, b) => a - b)
  return cold.length > 0 ? R.pick(cold) : 0
}

type Ops = {
  reads: Record<string, () => Promise<Observation[]>>
  writes: Record<string, (tag: string, deletes: [Table, number][]) => Promise<void>>
  close(): Promise<void>
}

const rowObs = (
  t: Table,
  id: number,
  row: Record<string, unknown> | null | undefined,
): Observation => ({
  k: 'row',
  t,
  id,
  v: row ? stateValue(t, row) : null,
})

/** A post with its comments and author, as both ORMs return it (camelCase fields). */
function postObs(id: number, post: Record<string, any> | null | undefined): Observation[] {
  const obs: Observation[] = [rowObs('posts', id, post)]
  if (!post) return obs
  const comments = (post.comments ?? []) as Record<string, any>[]
  for (const c of comments) obs.push(rowObs('comments', c.id, c))
  obs.push({ k: 'set', t: 'comments', parent: id, ids: comments.map((c) => c.id) })
  if (post.authorId !== null) obs.push(rowObs('users', post.authorId, post.author))
  return obs
}

function prismaOps(): Ops {
  const prisma = connectBlogClient('postgresql', url).$extends(cacheExtension({ cache }))
  class Rollback extends Error {}
  return {
    reads: {
      async post() {
        const id = somePost()
        return postObs(
          id,
          await prisma.post.findUnique({
            where: { id },
            include: { comments: true, author: true },
          }),
        )
      },
      async allPosts() {
        const posts = await prisma.post.findMany({
          orderBy: { id: 'asc' },
          include: { author: true },
        })
        const obs: Observation[] = [
          { k: 'set', t: 'posts', parent: null, ids: posts.map((p) => p.id) },
        ]
        for (const p of posts) {
          postIds.add(p.id)
          obs.push(rowObs('posts', p.id, p))
          if (p.authorId !== null) obs.push(rowObs('users', p.authorId, p.author))
        }
        return obs
      },
      async user() {
        const id = someUser()
        const u = await prisma.user.findUnique({ where: { id }, include: { profile: true } })
        const obs = [rowObs('users', id, u)]
        if (u?.profile) obs.push(rowObs('profiles', u.profile.id, u.profile))
        if (u)
          obs.push({ k: 'set', t: 'profiles', parent: id, ids: u.profile ? [u.profile.id] : [] })
        return obs
      },
      async countComments() {
        const id = somePost()
        return [
          {
            k: 'count',
            t: 'comments',
            parent: id,
            n: await prisma.comment.count({ where: { postId: id } }),
          },
        ]
      },
      async countPosts() {
        return [{ k: 'count', t: 'posts', parent: null, n: await prisma.post.count() }]
      },
    },
    writes: {
      async title(tag) {
        await prisma.post.updateMany({ where: { id: somePost() }, data: { title: tag } })
      },
      async nested(tag) {
        await prisma.post.update({
          where: { id: somePost() },
          data: {
            title: tag,
            comments: {
              updateMany: { where: {}, data: { body: tag } },
              create: { body: tag, authorId: R.int(1, 2) },
            },
          },
        })
      },
      async userProfile(tag) {
        await prisma.user.update({
          where: { id: someUser() },
          data: { name: tag, profile: { upsert: { create: { bio: tag }, update: { bio: tag } } } },
        })
      },
      async create(tag) {
        const post = await prisma.post.create({
          data: {
            title: tag,
            authorId: R.int(1, 2),
            comments: { create: [{ body: tag, authorId: someUser() }, { body: tag }] },
          },
        })
        postIds.add(post.id)
      },
      async deletePost(_tag, deletes) {
        const id = deletablePost()
        const { count } = await prisma.post.deleteMany({ where: { id } })
        if (count === 1) deletes.push(['posts', id])
      },
      async deleteUser(_tag, deletes) {
        const id = deletableUser()
        const { count } = await prisma.user.deleteMany({ where: { id } })
        if (count === 1) deletes.push(['users', id])
      },
      async transaction(tag) {
        const [a, b] = [somePost(), somePost()]
        const rollback = R.chance(0.4)
        try {
          await prisma.$transaction(async (tx) => {
            await tx.post.updateMany({ where: { id: a }, data: { title: tag } })
            await tx.post.findMany({ where: { id: b }, include: { comments: true } })
            await tx.comment.updateMany({ where: { postId: b }, data: { body: tag } })
            if (rollback) throw new Rollback('rolled back on purpose')
          })
        } catch (error) {
          if (!(error instanceof Rollback)) throw error
        }
      },
      async batch(tag) {
        await prisma.$transaction([
          prisma.post.updateMany({ where: { id: somePost() }, data: { title: tag } }),
          prisma.comment.updateMany({ where: { postId: somePost() }, data: { body: tag } }),
        ])
      },
      async raw(tag) {
        await prisma.$executeRaw`UPDATE comments SET body = ${tag} WHERE post_id = ${somePost()}`
      },
    },
    async close() {
      await prisma.$disconnect()
    },
  }
}

function drizzleOps(): Ops {
  const { posts, comments, users, profiles } = schema
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const db = withQueryCache(drizzle({ client: pool, schema }), { cache, name: 'fuzz' })
  return {
    reads: {
      async post() {
        const id = somePost()
        return postObs(
          id,
          await db.query.posts.findFirst({
            where: eq(posts.id, id),
            with: { comments: true, author: true },
          }),
        )
      },
      async allPosts() {
        const rows = await db
          .select()
          .from(posts)
          .leftJoin(users, eq(posts.authorId, users.id))
          .orderBy(asc(posts.id))
        const obs: Observation[] = [
          { k: 'set', t: 'posts', parent: null, ids: rows.map((r) => r.posts.id) },
        ]
        for (const r of rows) {
          postIds.add(r.posts.id)
          obs.push(rowObs('posts', r.posts.id, r.posts))
          if (r.posts.authorId !== null) obs.push(rowObs('users', r.posts.authorId, r.users))
        }
        return obs
      },
      async user() {
        const id = someUser()
        const [r] = await db
          .select()
          .from(users)
          .leftJoin(profiles, eq(profiles.userId, users.id))
          .where(eq(users.id, id))
        const obs = [rowObs('users', id, r?.users)]
        if (r?.profiles) obs.push(rowObs('profiles', r.profiles.id, r.profiles))
        if (r)
          obs.push({ k: 'set', t: 'profiles', parent: id, ids: r.profiles ? [r.profiles.id] : [] })
        return obs
      },
      async countComments() {
        const id = somePost()
        return [
          {
            k: 'count',
            t: 'comments',
            parent: id,
            n: await db.$count(comments, eq(comments.postId, id)),
          },
        ]
      },
      async countPosts() {
        return [{ k: 'count', t: 'posts', parent: null, n: await db.$count(posts) }]
      },
    },
    writes: {
      async title(tag) {
        await db.update(posts).set({ title: tag }).where(eq(posts.id, somePost()))
      },
      async nested(tag) {
        const id = somePost()
        await db.transaction(async (tx) => {
          const found = await tx
            .update(posts)
            .set({ title: tag })
            .where(eq(posts.id, id))
            .returning({ id: posts.id })
          if (found.length === 0) return
          await tx.update(comments).set({ body: tag }).where(eq(comments.postId, id))
          await tx.insert(comments).values({ body: tag, postId: id, authorId: R.int(1, 2) })
        })
      },
      async userProfile(tag) {
        const id = someUser()
        await db.transaction(async (tx) => {
          const found = await tx
            .update(users)
            .set({ name: tag })
            .where(eq(users.id, id))
            .returning({ id: users.id })
          if (found.length === 0) return
          await tx
            .insert(profiles)
            .values({ bio: tag, userId: id })
            .onConflictDoUpdate({ target: profiles.userId, set: { bio: tag } })
        })
      },
      async create(tag) {
        await db.transaction(async (tx) => {
          const [post] = await tx
            .insert(posts)
            .values({ title: tag, authorId: R.int(1, 2) })
            .returning({ id: posts.id })
          await tx.insert(comments).values([
            { body: tag, postId: post!.id, authorId: someUser() },
            { body: tag, postId: post!.id },
          ])
          postIds.add(post!.id)
        })
      },
      async deletePost(_tag, deletes) {
        const id = deletablePost()
        const gone = await db.delete(posts).where(eq(posts.id, id)).returning({ id: posts.id })
        if (gone.length === 1) deletes.push(['posts', id])
      },
      async deleteUser(_tag, deletes) {
        const id = deletableUser()
        const gone = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id })
        if (gone.length === 1) deletes.push(['users', id])
      },
      async transaction(tag) {
        const [a, b] = [somePost(), somePost()]
        const rollback = R.chance(0.4)
        try {
          await db.transaction(async (tx) => {
            await tx.update(posts).set({ title: tag }).where(eq(posts.id, a))
            await tx.select().from(comments).where(eq(comments.postId, b))
            await tx
              .update(comments)
              .set({ body: tag })
              .where(and(eq(comments.postId, b)))
            if (rollback) tx.rollback()
          })
        } catch (error) {
          if (!rollback || !/rollback/i.test(String(error))) throw error
        }
      },
      async batch(tag) {
        // Drizzle on node-postgres has no batch: a nested transaction (savepoint) instead
        await db.transaction(async (tx) => {
          await tx.update(posts).set({ title: tag }).where(eq(posts.id, somePost()))
          await tx.transaction(async (inner) => {
            await inner.update(comments).set({ body: tag }).where(eq(comments.postId, somePost()))
          })
        })
      },
      async raw(tag) {
        await db.execute(sql`UPDATE comments SET body = ${tag} WHERE post_id = ${somePost()}`)
      },
    },
    async close() {
      await pool.end()
    },
  }
}

const READS: [string, number][] = [
  ['post', 30],
  ['allPosts', 12],
  ['user', 18],
  ['countComments', 6],
  ['countPosts', 4],
]
const WRITES: [string, number][] = [
  ['title', 5],
  ['nested', 3],
  ['userProfile', 2.5],
  ['create', 2],
  ['deletePost', 1.2],
  ['deleteUser', 0.3],
  ['transaction', 2.5],
  ['batch', 1],
  ['raw', 0.7],
]
const weighted = (choices: [string, number][]) => {
  const total = choices.reduce((s, [, w]) => s + w, 0)
  return () => {
    let x = R.next() * total
    for (const [name, w] of choices) {
      x -= w
      if (x < 0) return name
    }
    return choices.at(-1)![0]
  }
}

async function run(ops: Ops): Promise<WorkerReport> {
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  const readTotal = READS.reduce((s, [, w]) => s + w, 0)
  const writeTotal = WRITES.reduce((s, [, w]) => s + w, 0)
  const pickRead = weighted(READS)
  const pickWrite = weighted(WRITES)
  const reads: ReadLog[] = []
  const writes: WriteLog[] = []
  const readErrors: string[] = []
  const writeErrors: Record<string, number> = {}
  let next = 0
  const lane = async () => {
    while (next < totalOps) {
      const op = next++
      await opRng.run(rng(seed ^ workerSalt ^ Math.imul(op + 1, 0x85ebca6b)), () => step(op))
    }
  }
  const step = async (op: number) => {
    if (R.next() < readTotal / (readTotal + writeTotal)) {
      const name = pickRead()
      const start = now()
      try {
        const obs = await ops.reads[name]!()
        reads.push({ worker, op, kind: name, start, end: now(), obs })
      } catch (error) {
        readErrors.push(`${name}: ${String(error)}`)
      }
    } else {
      const name = pickWrite()
      const tag = `w${worker}o${op}`
      const deletes: [Table, number][] = []
      const start = now()
      try {
        await writeTag.run(tag, () => ops.writes[name]!(tag, deletes))
        writes.push({ worker, op, kind: name, tag, start, end: now(), ok: true, deletes })
      } catch (error) {
        const end = now()
        const message = String(error)
        const code =
          /P20\d\d|deadlock|foreign key|violates|not found|Record to update/i.exec(message)?.[0] ??
          'other'
        writeErrors[`${name}: ${code}`] = (writeErrors[`${name}: ${code}`] ?? 0) + 1
        writes.push({
          worker,
          op,
          kind: name,
          tag,
          start,
          end,
          ok: false,
          error: message.slice(0, 300),
          deletes,
        })
      }
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  await ops.close()
  const s = cache.stats()
  return {
    worker,
    reads,
    writes,
    readErrors,
    writeErrors,
    cacheErrors,
    stats: {
      hits: s.hits,
      misses: s.misses,
      sets: s.sets,
      invalidations: s.invalidations,
      ...(s.near ? { nearHits: s.near.hits } : {}),
    },
    messages,
    loopDelayMaxMs: loop.max / 1e6,
  }
}

const ops = kind === 'prisma' ? prismaOps() : drizzleOps()
process.on('message', (msg: { go?: boolean }) => {
  if (!msg.go) return
  run(ops).then(
    async (report) => {
      process.send!({ report }, () => {
        void cache.close().finally(() => process.exit(0))
      })
    },
    (error) => {
      process.send!({ fatal: String(error?.stack ?? error) }, () => process.exit(1))
    },
  )
})
// Ready once warm, as an application is: the ORM has run a query (Prisma's first one compiles
// its query engine, blocking the event loop for hundreds of ms, messages queued meanwhile), and
// a near cache's channel delivers (it answers nothing until then).
void (async () => {
  await ops.reads.countPosts!()
  for (let i = 0; near && !cache.stats().near?.trusted && i < 500; i++)
    await new Promise((r) => setTimeout(r, 10))
  process.send!({ ready: true })
})()
