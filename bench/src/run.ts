import { mkdirSync, writeFileSync } from 'node:fs'
import { arch, cpus, platform, totalmem } from 'node:os'
import { join } from 'node:path'
import { versions as measuredVersions, startRedis } from './fixtures.js'
import { type Sample, type SuiteResult, smoke, type Target } from './harness.js'
import { clusterSuite } from './suites/cluster.js'
import { coreSuite } from './suites/core.js'
import { drizzleSuite } from './suites/drizzle.js'
import { prismaSuite } from './suites/prisma.js'

const redis = await startRedis()
const suites: Record<string, () => Promise<SuiteResult>> = {
  core: coreSuite,
  prisma: () => prismaSuite(redis),
  drizzle: () => drizzleSuite(redis),
  cluster: () => clusterSuite(redis),
}

const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const results: Record<string, SuiteResult> = {}
console.error(`querycache bench${smoke ? ' (smoke run: few iterations, figures meaningless)' : ''}`)
const started = performance.now()
let versions: Record<string, string>
try {
  for (const [name, run] of Object.entries(suites)) {
    if (only && !only.includes(name)) continue
    results[name] = await run()
  }
  versions = await measuredVersions(await redis.version())
} finally {
  await redis.stop()
}
const seconds = Math.round((performance.now() - started) / 1000)

const targets: Target[] = Object.values(results).flatMap((r) => r.targets)
const samples: Sample[] = Object.values(results).flatMap((r) => r.samples)

console.log('\nTargets (ratios measured side by side in this run)')
console.table(
  targets.map((t) => ({
    target: t.name,
    measured: t.value,
    goal: t.goal,
    result: t.met ? 'met' : 'NOT MET',
  })),
)
console.log('Versions')
console.table(versions)
console.log('Latency (µs)')
console.table(
  samples.map((s) => ({
    group: s.group,
    query: s.name,
    p50: s.p50.toFixed(1),
    p99: s.p99.toFixed(1),
    samples: s.samples,
  })),
)
console.log(`(${seconds} s)`)
for (const [name, r] of Object.entries(results)) {
  console.log(`${name}: facts`)
  console.table(r.facts)
  for (const note of r.notes ?? []) console.log(`  - ${note}`)
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${arch()}`,
  node: process.version,
  date: new Date().toISOString(),
  seconds,
}
if (!smoke) {
  const dir = join(import.meta.dirname, '..', 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'latest.json'),
    `${JSON.stringify({ machine, versions, results }, null, 2)}\n`,
  )
  console.log(
    `raw results: bench/results/latest.json (regenerate the README section with: pnpm --filter @querycache/bench readme)`,
  )
} else {
  // the smoke run only proves the bench still runs end to end
  if (samples.some((s) => !(s.p50 > 0))) {
    console.error('smoke run produced an empty sample')
    process.exit(1)
  }
  console.log(`bench smoke: ${samples.length} tasks ran`)
  // one test for `npm test`'s closing totals line (it reads each package's test-results.json)
  writeFileSync(
    join(import.meta.dirname, '..', 'test-results.json'),
    JSON.stringify({ numPassedTests: 1, numFailedTests: 0, numPendingTests: 0 }),
  )
}
