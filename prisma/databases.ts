// Fixtures shared by tests, examples and benchmarks: a fresh database with the blog schema,
// created from the checked-in SQL migrations, and a Prisma client for it.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { PrismaMariaDb } from '@prisma/adapter-mariadb'
import { PrismaPg } from '@prisma/adapter-pg'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { PrismaClient as MysqlClient } from './generated/mysql/client.ts'
import { PrismaClient as PostgresClient } from './generated/postgres/client.ts'
import { PrismaClient as SqliteClient } from './generated/sqlite/client.ts'

export { Prisma } from './generated/sqlite/client.ts'
/**
 * The generated clients have the same model API (MySQL's lacks `createManyAndReturn` and
 * `updateManyAndReturn`, which Prisma does not offer there); tests are written against this type.
 */
export type BlogClient = SqliteClient

export type Provider = 'sqlite' | 'postgresql' | 'mysql'

export const POSTGRES_URL = process.env.DATABASE_URL?.startsWith('postgres')
  ? process.env.DATABASE_URL
  : 'postgresql://postgres@127.0.0.1:5432/test'
/** A MySQL or MariaDB server (no database in the path: each fixture creates its own). */
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'

const migrations = join(dirname(fileURLToPath(import.meta.url)), 'migrations')

export function migrationSql(provider: Provider): string {
  const dir = join(migrations, provider)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
}

export interface BlogDatabase {
  provider: Provider
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
    client: () => connectBlogClient('postgresql', url.toString()),
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

/**
 * A database of its own on the MySQL/MariaDB server (`baseUrl` without a database, or naming one
 * the fixture ignores), so test files can run in parallel.
 */
export async function createMysqlDatabase(baseUrl = MYSQL_URL): Promise<BlogDatabase> {
  const name = `qc_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const server = new URL(baseUrl)
  server.pathname = ''
  const admin = await mysql.createConnection(server.toString())
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(server)
  url.pathname = `/${name}`
  const exec = async (sql: string) => {
    const c = await mysql.createConnection({ uri: url.toString(), multipleStatements: true })
    try {
      await c.query(sql)
    } finally {
      await c.end()
    }
  }
  await exec(migrationSql('mysql'))
  return {
    provider: 'mysql',
    url: url.toString(),
    client: () => connectBlogClient('mysql', url.toString()),
    exec,
    async drop() {
      const a = await mysql.createConnection(server.toString())
      await a.query(`DROP DATABASE IF EXISTS ${name}`)
      await a.end()
    },
  }
}

/** Whether a MySQL/MariaDB server answers at `url` (its suites are skipped when none does). */
export async function mysqlAvailable(url = MYSQL_URL): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ uri: url, connectTimeout: 2000 })
    await c.end()
    return true
  } catch {
    return false
  }
}

/** A new client on an existing blog database, e.g. in a second process. */
export function connectBlogClient(provider: Provider, url: string): BlogClient {
  switch (provider) {
    case 'sqlite':
      return new SqliteClient({ adapter: new PrismaLibSql({ url, intMode: 'bigint' }) })
    case 'postgresql':
      return new PostgresClient({
        adapter: new PrismaPg({ connectionString: url }),
      }) as unknown as BlogClient
    case 'mysql':
      return new MysqlClient({
        adapter: new PrismaMariaDb(url.replace(/^mysql:/, 'mariadb:')),
      }) as unknown as BlogClient
  }
}

export async function createBlogDatabase(provider: Provider): Promise<BlogDatabase> {
  switch (provider) {
    case 'sqlite':
      return createSqliteDatabase()
    case 'postgresql':
      return createPostgresDatabase()
    case 'mysql':
      return createMysqlDatabase()
  }
}

export { DEFAULT_SEED, type SeedSize, seedBlog } from './seed.ts'
