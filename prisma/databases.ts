// Fixtures shared by tests, examples and benchmarks: a fresh database with the blog schema,
// created from the checked-in SQL migrations, and a Prisma client for it.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaClient as PostgresClient } from './generated/postgres/client.ts'
import { PrismaClient as SqliteClient } from './generated/sqlite/client.ts'

export { Prisma } from './generated/sqlite/client.ts'
/** Both generated clients have the same model API; tests are written against this type. */
export type BlogClient = SqliteClient

export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

const migrations = join(dirname(fileURLToPath(import.meta.url)), 'migrations')

export function migrationSql(provider: 'sqlite' | 'postgresql'): string {
  const dir = join(migrations, provider)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
}

export interface BlogDatabase {
  provider: 'sqlite' | 'postgresql'
  url: string
  /** A new PrismaClient on this database (caller disconnects it). */
  client(): BlogClient
  /** Runs SQL outside Prisma, as another application would. */
  exec(sql: string): Promise<void>
  drop(): Promise<void>
}

export async function createSqliteDatabase(file?: string): Promise<BlogDatabase> {
  const dir = file ? undefined : mkdtempSync(join(tmpdir(), 'qc-sqlite-'))
  const path = file ?? join(dir!, 'blog.db')
  const url = `file:${path}`
  const libsql = createClient({ url })
  await libsql.executeMultiple(migrationSql('sqlite'))
  libsql.close()
  return {
    provider: 'sqlite',
    url,
    client: () => connectBlogClient('sqlite', url),
    async exec(sql) {
      const c = createClient({ url })
      try {
        await c.executeMultiple(sql)
      } finally {
        c.close()
      }
    },
    async drop() {
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A database of its own on the PostgreSQL server, so test files can run in parallel. */
export async function createPostgresDatabase(baseUrl = POSTGRES_URL): Promise<BlogDatabase> {
  const name = `qc_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  const conn = new pg.Client({ connectionString: url.toString() })
  await conn.connect()
  await conn.query(migrationSql('postgresql'))
  await conn.end()
  return {
    provider: 'postgresql',
    url: url.toString(),
    client: () =>
      new PostgresClient({
        adapter: new PrismaPg({ connectionString: url.toString() }),
      }) as unknown as BlogClient,
    async exec(sql) {
      const c = new pg.Client({ connectionString: url.toString() })
      await c.connect()
      try {
        await c.query(sql)
      } finally {
        await c.end()
      }
    },
    async drop() {
      const a = new pg.Client({ connectionString: baseUrl })
      await a.connect()
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await a.end()
    },
  }
}

/** A new client on an existing blog database, e.g. in a second process. */
export function connectBlogClient(provider: 'sqlite' | 'postgresql', url: string): BlogClient {
  return provider === 'sqlite'
    ? new SqliteClient({ adapter: new PrismaLibSql({ url, intMode: 'bigint' }) })
    : (new PostgresClient({
        adapter: new PrismaPg({ connectionString: url }),
      }) as unknown as BlogClient)
}

export async function createBlogDatabase(provider: 'sqlite' | 'postgresql'): Promise<BlogDatabase> {
  return provider === 'sqlite' ? createSqliteDatabase() : createPostgresDatabase()
}

export { DEFAULT_SEED, type SeedSize, seedBlog } from './seed.ts'
