// Issue 6.1 — consistency fuzz: 2 Prisma + 2 Drizzle processes share one PostgreSQL database
// and one Redis namespace and run a seeded random mix of cached reads and writes. The parent
// checks every read against the commit order the database recorded (support/fuzz-check.ts).
// Replay a run with QC_FUZZ_SEED=<seed>; QC_FUZZ_OPS sets the operations per worker.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type BlogDatabase, createPostgresDatabase } from '@querycache/schema'
import { forkWorker } from '@querycache/testing/process'
import { REDIS_URL, uniqueNamespace } from '@querycache/testing/redis'
import pg from 'pg'
import { afterAll, describe, expect, test } from 'vitest'
import {
  AUDIT_SQL,
  type AuditRow,
  type CheckResult,
  checkHistory,
  type ReadLog,
  type WriteLog,
} from './support/fuzz-check.ts'
import type { WorkerReport } from './support/fuzz-worker.ts'
import { now, percentile } from './support/util.ts'

const workerPath = fileURLToPath(new URL('./support/fuzz-worker.ts', import.meta.url))
const SEED = Number(process.env.QC_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const OPS = Number(process.env.QC_FUZZ_OPS ?? 300)
/** Clock slack between processes: a write counts as resolved before a read only by this much. */
const MARGIN_MS = 1

const children: ChildProcess[] = []
const databases: BlogDatabase[] = []
afterAll(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill()
  for (const db of databases.splice(0)) await db.drop()
})

/** 10 users (each invited by the previous one), a profile each, 16 posts with 3 comments each. */
function seedSql(): string {
  const users = Array.from(
    { length: 10 },
    (_, i) => `('u${i + 1}@example.com', 'seed-u${i + 1}', ${i === 0 ? 'NULL' : i})`,
  )
  const profiles = Array.from({ length: 10 }, (_, i) => `('seed-bio${i + 1}', ${i + 1})`)
  const posts = Array.from({ length: 16 }, (_, i) => `('seed-p${i + 1}', ${(i % 10) + 1})`)
  const comments = Array.from(
    { length: 48 },
    (_, i) => `('seed-c${i + 1}', ${(i % 16) + 1}, ${((i * 3) % 10) + 1})`,
  )
  return `
    INSERT INTO users (email, name, invited_by_id) VALUES ${users.join(', ')};
    INSERT INTO profiles (bio, user_id) VALUES ${profiles.join(', ')};
    INSERT INTO posts (title, author_id) VALUES ${posts.join(', ')};
    INSERT INTO comments (body, post_id, author_id) VALUES ${comments.join(', ')};`
}

interface Worker {
  child: ChildProcess
  report: Promise<WorkerReport>
}

async function startWorker(env: Record<string, string>): Promise<Worker> {
  const child = await forkWorker(workerPath, env)
  children.push(child)
  const report = new Promise<WorkerReport>((resolve, reject) => {
    child.on('message', (msg: { report?: WorkerReport; fatal?: string }) => {
      if (msg.report) resolve(msg.report)
      if (msg.fatal) reject(new Error(`worker failed: ${msg.fatal}`))
    })
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
  })
  report.catch(() => {})
  return { child, report }
}

interface Run {
  seed: number
  reports: WorkerReport[]
  result: CheckResult
  ms: number
  arrivals?: Map<string, Map<string, number>> | undefined
}

/** When each write's invalidation message was applied by each other worker: tag → worker → time. */
function messageArrivals(reports: WorkerReport[]): Map<string, Map<string, number>> {
  const tagOf = new Map<string, string>()
  for (const r of reports)
    for (const m of r.messages)
      if (m.kind === 'published' && m.tag) tagOf.set(`${m.from}#${m.seq}`, m.tag)
  const arrivals = new Map<string, Map<string, number>>()
  for (const r of reports)
    for (const m of r.messages) {
      const tag = m.kind === 'applied' ? tagOf.get(`${m.from}#${m.seq}`) : undefined
      if (!tag) continue
      let byWorker = arrivals.get(tag)
      if (!byWorker) {
        byWorker = new Map()
        arrivals.set(tag, byWorker)
      }
      // a write may send several messages: its window closes when the last one arrives
      byWorker.set(r.worker, Math.max(byWorker.get(r.worker) ?? 0, m.at))
    }
  return arrivals
}

/**
 * The window: from a write resolving to its message reaching another worker (0 if it was there
 * first), for receivers whose name starts with `receiver`.
 */
function windowMs(run: Run, receiver = ''): number[] {
  const ends = new Map(run.reports.flatMap((r) => r.writes.map((w) => [w.tag, w.end] as const)))
  const out: number[] = []
  for (const [tag, byWorker] of run.arrivals ?? [])
    for (const [worker, at] of byWorker)
      if (worker.startsWith(receiver)) out.push(Math.max(0, at - ends.get(tag)!))
  return out
}

async function fuzz(
  workers: { kind: 'prisma' | 'drizzle'; count: number }[],
  options: { ops: number; sabotage: boolean; label: string; near?: boolean },
): Promise<Run> {
  const db = await createPostgresDatabase()
  databases.push(db)
  await db.exec(AUDIT_SQL)
  await db.exec(seedSql())
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  try {
    const seedMaxSeq = Number((await admin.query('SELECT max(seq) AS m FROM fuzz_audit')).rows[0].m)
    const namespace = uniqueNamespace(`fuzz-${options.label}`)
    const started: Worker[] = []
    for (const { kind, count } of workers)
      for (let i = 0; i < count; i++)
        started.push(
          await startWorker({
            QC_KIND: kind,
            QC_WORKER: String(i),
            QC_SEED: String(SEED),
            QC_OPS: String(options.ops),
            QC_DB_URL: db.url,
            QC_REDIS_URL: REDIS_URL,
            QC_NAMESPACE: namespace,
            QC_SABOTAGE: options.sabotage ? '1' : '0',
            QC_NEAR: options.near ? '1' : '0',
          }),
        )
    const t0 = now()
    for (const w of started) w.child.send({ go: true })
    const reports = await Promise.all(started.map((w) => w.report))
    const ms = now() - t0
    const audit = (
      await admin.query<AuditRow>(
        'SELECT seq::int AS seq, txid::text AS txid, tbl, row_id, parent, value FROM fuzz_audit ORDER BY seq',
      )
    ).rows
    const reads: ReadLog[] = reports.flatMap((r) => r.reads)
    const writes: WriteLog[] = reports.flatMap((r) => r.writes)
    const arrivals = options.near ? messageArrivals(reports) : undefined
    const result = checkHistory(audit, writes, reads, seedMaxSeq, MARGIN_MS, arrivals)
    return { seed: SEED, reports, result, ms, arrivals }
  } finally {
    await admin.end()
  }
}

function summary(run: Run) {
  const rows = run.reports.map((r) => {
    const ok = r.writes.filter((w) => w.ok).length
    return {
      worker: r.worker,
      reads: r.reads.length,
      writes: `${ok} ok / ${r.writes.length - ok} failed`,
      hits: r.stats.hits,
      misses: r.stats.misses,
      'hit ratio': (r.stats.hits / Math.max(1, r.stats.hits + r.stats.misses)).toFixed(2),
      invalidations: r.stats.invalidations,
      ...(r.stats.nearHits === undefined ? {} : { 'near hits': r.stats.nearHits }),
    }
  })
  console.table(rows)
  const failures: Record<string, number> = {}
  for (const r of run.reports)
    for (const [k, n] of Object.entries(r.writeErrors)) failures[k] = (failures[k] ?? 0) + n
  console.log(
    `fuzz seed ${run.seed} (replay: QC_FUZZ_SEED=${run.seed}): ${run.ms.toFixed(0)} ms, ` +
      `${run.result.observations} observations checked, ${run.result.contested} on rows a resolved ` +
      `write had changed, ${run.result.violations.length} violations, ${run.result.unattributed} unattributed audit rows; ` +
      `expected write failures (missing rows, deadlocks, FK races): ${JSON.stringify(failures)}`,
  )
}

describe('consistency fuzz (PostgreSQL + Redis, several processes)', () => {
  test(`2 Prisma + 2 Drizzle workers × ${OPS} ops: no read returns data older than a write that resolved before it started`, async () => {
    const run = await fuzz(
      [
        { kind: 'prisma', count: 2 },
        { kind: 'drizzle', count: 2 },
      ],
      { ops: OPS, sabotage: false, label: 'mixed' },
    )
    summary(run)
    for (const v of run.result.violations.slice(0, 20)) console.log(`VIOLATION ${v}`)
    expect(run.reports.flatMap((r) => r.readErrors)).toEqual([])
    expect(run.reports.flatMap((r) => r.cacheErrors)).toEqual([])
    expect(run.result.unattributed).toBe(0)
    expect(run.result.violations, `seed ${SEED}`).toEqual([])
    // the run exercised the cache, and reads on rows other processes had changed
    for (const r of run.reports) expect(r.stats.hits, r.worker).toBeGreaterThan(5)
    expect(run.result.contested).toBeGreaterThan(1000)
  })

  test(`with the near cache in every worker: the writer never reads stale data, others only before the write's message reaches them`, async () => {
    const run = await fuzz(
      [
        { kind: 'prisma', count: 2 },
        { kind: 'drizzle', count: 2 },
      ],
      { ops: OPS, sabotage: false, label: 'near', near: true },
    )
    summary(run)
    const window = windowMs(run)
    const f = (ms: number) => `${ms.toFixed(2)} ms`
    const spread = (w: number[]) =>
      `p50 ${f(percentile(w, 50))}, p99 ${f(percentile(w, 99))}, max ${f(Math.max(...w))}`
    console.log(
      `near cache window (write resolved → its message applied in another worker), ${window.length} deliveries: ` +
        `${spread(window)} (received by Prisma workers: ${spread(windowMs(run, 'prisma'))}; by Drizzle workers: ${spread(windowMs(run, 'drizzle'))}); ` +
        `${run.result.inWindow} stale reads inside the window, ${run.result.violations.length} after it; ` +
        // a message waits while its receiver's event loop is blocked (Prisma's query compiler
        // blocks it for hundreds of ms on new query shapes): the tail of the window is that wait
        `longest event-loop block per worker: ${run.reports.map((r) => `${r.worker} ${r.loopDelayMaxMs.toFixed(0)} ms`).join(', ')}`,
    )
    for (const v of run.result.violations.slice(0, 20)) console.log(`VIOLATION ${v}`)
    expect(run.reports.flatMap((r) => r.readErrors)).toEqual([])
    expect(run.reports.flatMap((r) => r.cacheErrors)).toEqual([])
    expect(run.result.unattributed).toBe(0)
    expect(run.result.violations, `seed ${SEED}`).toEqual([])
    // the near cache served reads, and messages crossed between every pair of processes
    for (const r of run.reports) expect(r.stats.nearHits, r.worker).toBeGreaterThan(5)
    expect(window.length).toBeGreaterThan(100)
    expect(run.result.contested).toBeGreaterThan(1000)
  })

  test('control: with invalidation switched off in every worker, the checker reports stale reads', async () => {
    // the same fuzz with a deliberately broken cache: the checker must report it, or it is blind
    const run = await fuzz(
      [
        { kind: 'prisma', count: 2 },
        { kind: 'drizzle', count: 2 },
      ],
      { ops: 80, sabotage: true, label: 'sabotage' },
    )
    console.log(
      `control (invalidation off), seed ${run.seed}: ${run.result.violations.length} stale reads flagged, e.g.\n  ${run.result.violations.slice(0, 2).join('\n  ')}`,
    )
    expect(run.result.violations.length).toBeGreaterThan(0)
  })
})
