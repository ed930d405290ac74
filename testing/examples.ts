// The tests both examples run, as a user runs them: the quickstart (identical to the README's
// block) and the demo on the embedded default, on PostgreSQL + a Redis Cluster, on MySQL/MariaDB
// + one Redis node (PostgreSQL when no MariaDB answers), and with Redis unreachable.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MYSQL_URL, mysqlAvailable, POSTGRES_URL } from '@querycache/schema'
import { demoProblems, runScript } from '@querycache/schema/demo-kit'
import { describe, expect, test } from 'vitest'
import { REDIS_URL } from './redis.ts'
import { sharedClusterNodes } from './shared-cluster.ts'

/** `dir`: the example's folder (with src/quickstart.ts and src/demo.ts), two levels below the root. */
/**
 * The one difference between a quickstart as it runs here and as the README shows it: here it
 * imports the workspace's generated client and schema, the README the paths of a user's project.
 */
export const USER_PATHS: [workspace: string, user: string][] = [
  ["'@querycache/schema/sqlite'", "'./generated/prisma/client'"],
  ["'@querycache/schema/drizzle/sqlite'", "'./db/schema'"],
]

const withMysql = await mysqlAvailable()

export function describeExample(dir: string): void {
  test('the README shows the quickstart exactly as it runs here (with your paths)', () => {
    const source = readFileSync(join(dir, 'src', 'quickstart.ts'), 'utf8')
    let region = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion/.exec(source)?.[1]
    expect(region).toBeTruthy()
    for (const [workspace, user] of USER_PATHS) region = region!.replace(workspace, user)
    const readme = readFileSync(join(dir, '..', '..', 'README.md'), 'utf8')
    expect(readme).toContain(region!.trim())
  })

  test('the quickstart runs', async () => {
    const { code, output } = await runScript(dir, 'src/quickstart.ts')
    expect(output).toMatch(/hits: 1/)
    expect(code).toBe(0)
  })

  describe('the demo', () => {
    test.each<[string, Record<string, string>]>([
      ['embedded SQLite + memory', {}],
      // each database and each kind of Redis once (PostgreSQL + one Redis node only without MariaDB)
      ['PostgreSQL + Redis Cluster', { DATABASE_URL: POSTGRES_URL, REDIS_CLUSTER: 'shared' }],
      withMysql
        ? ['MySQL/MariaDB + Redis', { DATABASE_URL: MYSQL_URL, REDIS_URL }]
        : ['PostgreSQL + Redis', { DATABASE_URL: POSTGRES_URL, REDIS_URL }],
    ])('%s: hits after warm-up, fresh data after each write', async (name, env) => {
      const run = env.REDIS_CLUSTER
        ? {
            ...env,
            REDIS_CLUSTER: sharedClusterNodes()
              .map((n) => n.url)
              .join(','),
          }
        : env
      const { code, output } = await runScript(dir, 'src/demo.ts', run)
      expect(demoProblems(output), output).toEqual([])
      // it exits by itself: cache.close() closes the store
      expect(code, output).toBe(0)
      if (name !== 'embedded SQLite + memory') {
        expect(output).toContain(` on ${name}\n`)
        // with Redis, the two-process near cache part runs (demoProblems checks its rows)
        expect(output).toContain(': near cache across two processes (')
      } else expect(output).toContain('near cache across two processes — skipped')
    })

    test('Redis unreachable: a warning, then the in-memory cache', async () => {
      const { code, output } = await runScript(dir, 'src/demo.ts', {
        REDIS_URL: 'redis://127.0.0.1:1',
      })
      expect(output).toContain(
        'warning: Redis at REDIS_URL (127.0.0.1:1) is unreachable: running with the in-memory cache',
      )
      expect(demoProblems(output), output).toEqual([])
      expect(code).toBe(0)
    })
  })
}
