// Shared setup for the ORM suites: seeded blog databases, a Redis of the bench's own (so Redis's
// own command counters are not polluted by anyone else), and the versions of what was measured.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type BlogDatabase,
  createMysqlDatabase,
  createPostgresDatabase,
  createSqliteDatabase,
  DEFAULT_SEED,
  seedBlog,
} from '@querycache/schema'
import { freePort, OwnRedis, redisAdapter } from '@querycache/testing/redis'
import { progress } from './harness.js'
import { commandCount } from './suites/core.js'

export type Provider = 'sqlite' | 'postgresql' | 'mysql'
/** SQLite and PostgreSQL always; MySQL/MariaDB too when MYSQL_URL names a server (mysql://…). */
export const PROVIDERS: Provider[] = [
  'sqlite',
  'postgresql',
  ...(process.env.MYSQL_URL ? (['mysql'] as const) : []),
]
const SHORT: Record<Provider, string> = {
  sqlite: 'SQLite',
  postgresql: 'PostgreSQL',
  mysql: 'MySQL',
}
export const short = (p: Provider) => SHORT[p]

/** A fresh database with the blog schema and the deterministic seed (2000 posts). */
export async function seededDatabase(provider: Provider): Promise<BlogDatabase> {
  const started = performance.now()
  const db =
    provider === 'sqlite'
      ? await createSqliteDatabase()
      : provider === 'postgresql'
        ? await createPostgresDatabase()
        : await createMysqlDatabase()
  try {
    await seedBlog(db, DEFAULT_SEED)
  } catch (error) {
    await db.drop()
    throw error
  }
  progress(
    `${short(provider)}: seeded ${DEFAULT_SEED.posts} posts, ${DEFAULT_SEED.users} users, ${DEFAULT_SEED.comments} comments in ${Math.round(performance.now() - started)} ms`,
  )
  return db
}

export interface BenchRedis {
  url: string
  /** A KeyvRedis adapter of its own (querycache wants one per cache). */
  adapter(): ReturnType<typeof redisAdapter>
  /** Commands Redis has executed so far (INFO commandstats), minus the INFO calls themselves. */
  commands(): Promise<number>
  version(): Promise<string>
  stop(): Promise<void>
}

/** A redis-server of the bench's own on a spare loopback port. */
export async function startRedis(): Promise<BenchRedis> {
  const redis = new OwnRedis(await freePort())
  await redis.start()
  const adapters: ReturnType<typeof redisAdapter>[] = []
  const admin = redisAdapter(redis.url)
  const client = await admin.getClient()
  let infoCalls = 0
  return {
    url: redis.url,
    adapter() {
      const a = redisAdapter(redis.url)
      adapters.push(a)
      return a
    },
    async commands() {
      const n = await commandCount(client)
      return n - infoCalls++
    },
    async version() {
      infoCalls++
      return /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown'
    },
    async stop() {
      for (const a of [...adapters, admin]) await a.disconnect().catch(() => {})
      await redis.stop()
    },
  }
}

export function packageVersion(name: string): string {
  try {
    const pkg = join(import.meta.dirname, '..', 'node_modules', name, 'package.json')
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/** Server versions, asked once; the package versions are read from bench's node_modules. */
export async function versions(redisVersion: string): Promise<Record<string, string>> {
  const pg = (await import('pg')).default
  const client = new pg.Client({
    connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  })
  let postgres = 'unknown'
  try {
    await client.connect()
    postgres = (await client.query('SHOW server_version')).rows[0]?.server_version ?? 'unknown'
  } finally {
    await client.end().catch(() => {})
  }
  return {
    Prisma: packageVersion('@prisma/client'),
    'Drizzle ORM': packageVersion('drizzle-orm'),
    PostgreSQL: postgres,
    libsql: packageVersion('@libsql/client'),
    Redis: redisVersion,
    '@keyv/redis': packageVersion('@keyv/redis'),
    tinybench: packageVersion('tinybench'),
  }
}
