#!/usr/bin/env node
// The whole test suite: set-up, every package's tests (turbo builds what they import first),
// then one closing line with the totals of every package.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// the PostgreSQL fixtures of this run reuse emptied databases named after it (prisma/databases.ts);
// they are dropped when the run ends
const pool = `qc_run${randomBytes(4).toString('hex')}`
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
  QC_TEST_DB_POOL: pool,
}
const step = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1

if (step('node', ['scripts/setup.mjs']) !== 0) process.exit(1)

const packages = [
  'packages/core',
  'packages/prisma',
  'packages/drizzle',
  'compat/prisma6',
  'compat/drizzle1',
  'examples/prisma',
  'examples/drizzle',
  'reliability',
  'bench',
].map((p) => join(root, p, 'test-results.json'))
for (const file of packages) rmSync(file, { force: true })

const status = step('pnpm', [
  'exec',
  'turbo',
  'run',
  'test',
  '--concurrency=1',
  ...process.argv.slice(2),
])

const postgres = process.env.DATABASE_URL?.startsWith('postgres')
  ? process.env.DATABASE_URL
  : 'postgresql://postgres@127.0.0.1:5432/test'
const dropped = spawnSync('psql', [postgres, '-qAt', '-v', 'ON_ERROR_STOP=1'], {
  encoding: 'utf8',
  input: `select format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname) from pg_database where starts_with(datname, '${pool}_') \\gexec\n`,
})
if (dropped.status !== 0)
  console.warn(`could not drop this run's test databases (${pool}_*): ${dropped.stderr}`)

let passed = 0
let failed = 0
let skipped = 0
for (const file of packages) {
  if (!existsSync(file)) continue
  const r = JSON.parse(readFileSync(file, 'utf8'))
  passed += r.numPassedTests
  failed += r.numFailedTests
  skipped += r.numPendingTests + (r.numTodoTests ?? 0)
}
console.log(
  `\nall packages: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
)
process.exit(status !== 0 || failed > 0 || passed === 0 ? 1 : 0)
