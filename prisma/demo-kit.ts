// Small helpers the examples' demos share: the database and cache chosen from the environment,
// a progress bar, timing and tables. Nothing here is querycache itself.
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import KeyvRedis, { createCluster } from '@keyv/redis'
import {
  type BlogDatabase,
  createMysqlDatabase,
  createPostgresDatabase,
  createSqliteDatabase,
} from './databases.ts'

export interface Environment {
  db: BlogDatabase
  /** A Keyv Redis store when REDIS_URL (or REDIS_CLUSTER) is set and reachable. */
  redis: KeyvRedis<unknown> | undefined
  /** Another Keyv Redis store on the same Redis, for a second cache (each closes its own). */
  newRedis: (() => KeyvRedis<unknown>) | undefined
  label: string
  warnings: string[]
}

const DATABASE_LABELS = {
  sqlite: 'SQLite (embedded)',
  postgresql: 'PostgreSQL',
  mysql: 'MySQL/MariaDB',
} as const

/**
 * Embedded SQLite + in-memory cache by default; PostgreSQL or MySQL/MariaDB when DATABASE_URL is
 * a postgres:// or mysql:// (mariadb://) URL, Redis when REDIS_URL is set. The demo creates a
 * database of its own on the server named by the URL.
 */
export async function environment(): Promise<Environment> {
  const warnings: string[] = []
  const url = process.env.DATABASE_URL
  const db = url?.startsWith('postgres')
    ? await createPostgresDatabase(url)
    : url && /^(?:mysql|mariadb):/.test(url)
      ? await createMysqlDatabase(url.replace(/^mariadb:/, 'mysql:'))
      : await createSqliteDatabase()
  if (url && db.provider === 'sqlite')
    warnings.push(`DATABASE_URL is not a postgres:// or mysql:// URL: using embedded SQLite`)
  const found = await redisFromEnv()
  if (found.warning) warnings.push(found.warning)
  const redis = found.open?.()
  const label = `${DATABASE_LABELS[db.provider]} + ${redis ? found.label : 'in-memory cache'}`
  return { db, redis, newRedis: found.open, label, warnings }
}

/**
 * The Redis named by REDIS_CLUSTER (comma-separated URLs of some of a Redis Cluster's nodes) or
 * REDIS_URL, if reachable: `open` makes a Keyv Redis store on it.
 */
export async function redisFromEnv(): Promise<{
  open?: () => KeyvRedis<unknown>
  label: string
  warning?: string
}> {
  const clusterUrls = process.env.REDIS_CLUSTER?.split(',').filter(Boolean) ?? []
  if (clusterUrls.length > 0) {
    const first = new URL(clusterUrls[0]!)
    if (!(await reachable(first.hostname, Number(first.port || 6379))))
      return {
        label: 'in-memory cache',
        warning: `Redis Cluster at REDIS_CLUSTER (${first.host}) is unreachable: running with the in-memory cache`,
      }
    const open = () => {
      const cluster = createCluster({ rootNodes: clusterUrls.map((url) => ({ url })) })
      // createCluster's generic defaults differ from the ones KeyvRedis declares; the client is the same
      return new KeyvRedis(cluster as unknown as ConstructorParameters<typeof KeyvRedis>[0])
    }
    return { open, label: 'Redis Cluster' }
  }
  const redisUrl = process.env.REDIS_URL
  if (!redisUrl) return { label: 'in-memory cache' }
  const u = new URL(redisUrl)
  const port = Number(u.port || 6379)
  if (!(await reachable(u.hostname, port)))
    return {
      label: 'in-memory cache',
      warning: `Redis at REDIS_URL (${u.host}) is unreachable: running with the in-memory cache`,
    }
  const open = () =>
    new KeyvRedis<unknown>({
      url: redisUrl,
      socket: { host: u.hostname, port, reconnectStrategy: 100 },
    })
  return { open, label: 'Redis' }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}

/** A one-line progress bar on a terminal; a few plain lines otherwise (CI logs). */
export function progress(label: string): (done: number, total: number) => void {
  let lastPct = -1
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100)
    if (process.stdout.isTTY) {
      const width = 30
      const filled = Math.round((pct / 100) * width)
      process.stdout.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%`,
      )
      if (done === total) process.stdout.write('\n')
    } else if (pct >= lastPct + 25 || done === total) {
      lastPct = pct
      console.log(`${label} ${pct}%`)
    }
  }
}

/** Runs `fn` and returns its result and duration in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now()
  const value = await fn()
  return { value, ms: performance.now() - start }
}

export const ms = (n: number) =>
  n >= 10 ? `${n.toFixed(0)} ms` : n >= 1 ? `${n.toFixed(1)} ms` : `${(n * 1000).toFixed(0)} µs`

/** Prints rows as an aligned text table. */
export function table(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return
  const columns = Object.keys(rows[0]!)
  const width = columns.map((c) =>
    Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)),
  )
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ')
  console.log(line(columns))
  console.log(line(width.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(columns.map((c) => String(r[c] ?? ''))))
}

/**
 * Timed calls per figure: after WARM_UP untimed calls (connections, prepared statements, JIT),
 * at least MIN_RUNS and up to MAX_RUNS, or until RUN_MS has passed. A median of a handful of cold
 * calls is noise; this is close to what `pnpm bench` measures, in a fraction of its time.
 */
const WARM_UP = 3
const MIN_RUNS = 10
const MAX_RUNS = 200
const RUN_MS = 300

/** Runs `fn` WARM_UP times untimed, then repeatedly; every run's result and duration. */
async function runs<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }[]> {
  for (let i = 0; i < WARM_UP; i++) await fn()
  const out: { value: T; ms: number }[] = []
  const until = performance.now() + RUN_MS
  while (out.length < MIN_RUNS || (out.length < MAX_RUNS && performance.now() < until))
    out.push(await timed(fn))
  return out
}

const medianOf = (times: number[]) => [...times].sort((x, y) => x - y)[times.length >> 1]!

interface Counters {
  hits: number
  misses: number
}

export interface DemoCache {
  stats(): Counters & { hitRatio: number; byModel: Record<string, Counters & { hitRatio: number }> }
}

/**
 * Walks a demo's scenarios and prints what happened: each read uncached vs first vs second call
 * (hit or miss), each write's invalidations and whether the next read was fresh.
 */
export class DemoRun {
  private readonly reads: Record<string, string>[] = []
  private readonly writes: Record<string, string>[] = []
  private readonly invalidated: string[] = []
  private problems = 0

  constructor(
    readonly title: string,
    private readonly cache: DemoCache,
    /** Which invalidated names to show (the adapter's own; tokens shared with other adapters are left out). */
    private readonly shown: (name: string) => boolean = () => true,
  ) {}

  /** Pass to `createQueryCache({ onInvalidate })`. */
  readonly onInvalidate = (event: { models: readonly string[]; tags: readonly string[] }) => {
    this.invalidated.push(...event.models.filter(this.shown), ...event.tags.map((t) => `tag:${t}`))
  }

  private served(run: () => Promise<unknown>) {
    return async () => {
      const before = this.cache.stats().hits
      const { value, ms: took } = await timed(run)
      return { value, took, hit: this.cache.stats().hits > before }
    }
  }

  /**
   * A read: uncached (the plain client), then through the cache — the first call, then the
   * calls after it. Times are medians of many warmed-up runs (the first call runs once).
   */
  async read(
    name: string,
    uncached: () => Promise<unknown>,
    cached: () => Promise<unknown>,
  ): Promise<void> {
    const plain = await runs(uncached)
    const plainMs = medianOf(plain.map((r) => r.ms))
    const first = await this.served(cached)()
    // the warm-up calls are hits too: after the first call, every call must be one
    const again = (await runs(this.served(cached))).map((r) => r.value)
    const nextMs = medianOf(again.map((x) => x.took))
    const truth = JSON.stringify(toJson(plain.at(-1)!.value))
    const same = again.every((x) => JSON.stringify(toJson(x.value)) === truth)
    const hits = again.filter((x) => x.hit).length
    if (hits !== again.length || !same) this.problems++
    this.reads.push({
      query: name,
      uncached: ms(plainMs),
      '1st call': `${ms(first.took)} ${first.hit ? 'hit' : 'miss'}`,
      'next calls': `${ms(nextMs)} ${hits === again.length ? `hit ×${hits}` : `${hits}/${again.length} hits`}`,
      'speed-up': `${(plainMs / nextMs).toFixed(plainMs / nextMs < 10 ? 1 : 0)}×`,
      result: same ? 'same as database' : 'DIFFERENT FROM DATABASE',
    })
  }

  /** A write, then a read that must return what the database now holds. */
  async write(
    name: string,
    write: () => Promise<unknown>,
    check: { name: string; cached: () => Promise<unknown>; uncached: () => Promise<unknown> },
  ): Promise<void> {
    await check.cached() // make sure the checked read is cached before the write
    this.invalidated.length = 0
    await write()
    const touched = [...new Set(this.invalidated)].join(', ') || 'nothing'
    const after = await this.served(check.cached)()
    const truth = await check.uncached()
    const fresh = JSON.stringify(toJson(after.value)) === JSON.stringify(toJson(truth))
    if (!fresh) this.problems++
    this.writes.push({
      write: name,
      invalidated: touched,
      'then read': check.name,
      served: after.hit ? 'hit' : 'miss',
      fresh: fresh ? 'fresh ✓' : 'STALE ✗',
    })
  }

  /** Prints the tables and the final stats; returns the process exit code. */
  report(): number {
    console.log(
      `\n${this.title}: reads (medians, after ${WARM_UP} warm-up calls, of ${MIN_RUNS}–${MAX_RUNS} calls within ${RUN_MS} ms: uncached = the plain client; then through querycache the 1st call (a miss: it runs the query, encodes and stores the result, and being the first also warms querycache's own code, so it costs more than the query) and the calls after it)`,
    )
    table(this.reads)
    console.log(`\n${this.title}: writes (what each invalidated, and the next read)`)
    table(this.writes)
    const s = this.cache.stats()
    console.log(`\n${this.title}: stats`)
    table([
      ...Object.entries(s.byModel).map(([model, m]) => ({
        model,
        hits: m.hits,
        misses: m.misses,
        'hit ratio': `${(m.hitRatio * 100).toFixed(0)}%`,
      })),
      {
        model: 'total',
        hits: s.hits,
        misses: s.misses,
        'hit ratio': `${(s.hitRatio * 100).toFixed(0)}%`,
      },
    ])
    const ok = this.problems === 0
    console.log(
      `\n${this.title}: ${this.reads.length} reads cached after warm-up, ${this.writes.length} writes each followed by a fresh read — ${ok ? 'all good' : `${this.problems} PROBLEM(S)`}`,
    )
    return ok ? 0 : 1
  }
}

/** A comparable form of a result (bigint, Date, Decimal and bytes as strings). */
function toJson(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_, v) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v,
    ),
  )
}

/** Runs an example script (with tsx) as a user would, returning its exit code and output. */
export function runScript(
  cwd: string,
  script: string,
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0', ...env },
    })
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.on('close', (code) => resolve({ code, output }))
  })
}

/** What a demo's output must show: every read a hit after warm-up, every write followed by fresh data. */
export function demoProblems(output: string): string[] {
  const problems: string[] = []
  const lines = output.split('\n')
  const rows = (header: string) => {
    const start = lines.findIndex((l) => l.includes(header))
    if (start < 0) return []
    const end = lines.findIndex((l, i) => i > start + 2 && l.trim() === '')
    return lines.slice(start + 3, end < 0 ? undefined : end)
  }
  const reads = rows(': reads (')
  const writes = rows(': writes (')
  if (reads.length === 0) problems.push('no reads table')
  if (writes.length === 0) problems.push('no writes table')
  for (const r of reads) {
    // "hit ×N" only when every call after the first was a hit ("k/N hits" otherwise)
    if (!/ miss {2}.* hit ×\d+ {2}/.test(r)) problems.push(`read not a miss then hits: ${r.trim()}`)
    if (!r.includes('same as database'))
      problems.push(`read differs from the database: ${r.trim()}`)
  }
  for (const w of writes)
    if (!w.includes('fresh ✓')) problems.push(`write not followed by fresh data: ${w.trim()}`)
  if (!/— all good/.test(output)) problems.push('no "all good" summary')
  // the near cache part (with Redis): B served from its memory, then fresh after A's write
  const near = rows(': near cache across two processes (')
  if (near.length > 0) {
    if (!near.some((r) => r.includes('next 200 calls') && r.includes('hit from process memory')))
      problems.push('near cache: process B did not serve its reads from its memory')
    if (!near.some((r) => r.includes('read post 5 again') && r.includes('fresh ✓')))
      problems.push("near cache: process B did not read fresh data after A's write")
  }
  return problems
}
