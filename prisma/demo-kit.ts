// Small helpers the examples' demos share: the database and cache chosen from the environment,
// a progress bar, timing and tables. Nothing here is querycache itself.
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import KeyvRedis from '@keyv/redis'
import { type BlogDatabase, createPostgresDatabase, createSqliteDatabase } from './databases.ts'

export interface Environment {
  db: BlogDatabase
  /** A Keyv Redis store when REDIS_URL is set and reachable. */
  redis: KeyvRedis<unknown> | undefined
  label: string
  warnings: string[]
}

/** Embedded SQLite + in-memory cache by default; PostgreSQL / Redis when DATABASE_URL / REDIS_URL are set. */
export async function environment(): Promise<Environment> {
  const warnings: string[] = []
  const url = process.env.DATABASE_URL
  const db = url?.startsWith('postgres')
    ? await createPostgresDatabase(url)
    : await createSqliteDatabase()
  if (url && !url.startsWith('postgres'))
    warnings.push(`DATABASE_URL is not a postgres:// URL: using embedded SQLite`)
  let redis: KeyvRedis<unknown> | undefined
  const redisUrl = process.env.REDIS_URL
  if (redisUrl) {
    const u = new URL(redisUrl)
    const port = Number(u.port || 6379)
    if (await reachable(u.hostname, port)) {
      redis = new KeyvRedis({
        url: redisUrl,
        socket: { host: u.hostname, port, reconnectStrategy: 100 },
      })
    } else {
      warnings.push(
        `Redis at REDIS_URL (${u.host}) is unreachable: running with the in-memory cache`,
      )
    }
  }
  const label = `${db.provider === 'sqlite' ? 'SQLite (embedded)' : 'PostgreSQL'} + ${redis ? 'Redis' : 'in-memory cache'}`
  return { db, redis, label, warnings }
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
