// Issue 6.5 — memory: a sustained write-heavy load through both adapters (SQLite, memory store
// bounded to 256 KiB) keeps the store within its bound and the heap flat. Measured in forked
// children run with --expose-gc, so every heap figure is taken after a full collection; a second
// child runs the same load without querycache, to separate the ORMs' own warm-up growth.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import type { MemoryReport } from './support/memory-child.ts'

const childPath = fileURLToPath(new URL('./support/memory-child.ts', import.meta.url))

function run(uncached: boolean): Promise<MemoryReport> {
  const child = fork(childPath, {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, QC_ROUNDS: '12', QC_OPS: '300', QC_NOCACHE: uncached ? '1' : '0' },
    stdio: 'inherit',
  })
  return new Promise<MemoryReport>((resolve, reject) => {
    child.once('message', (m) => resolve(m as MemoryReport))
    child.once('exit', (code) => reject(new Error(`memory child exited with ${code}`)))
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
/** heap growth from the early rounds (2-4, after warm-up) to the last three, in MB */
const growth = (r: MemoryReport) => median(r.heapMb.slice(-3)) - median(r.heapMb.slice(1, 4))

test('write-heavy load: the memory store stays within maxBytes and the heap does not grow', async () => {
  const [report, control] = await Promise.all([run(false), run(true)])
  const heap = (r: MemoryReport) => r.heapMb.map((h) => h.toFixed(1)).join(' ')
  console.log(
    `memory: ${report.ops} ops in ${report.ms.toFixed(0)} ms; store peak ${report.peakBytes} / ${report.maxBytes} bytes, ` +
      `${report.peakEntries} / ${report.maxEntries} entries; stats ${JSON.stringify(report.stats)}\n` +
      `  heap after GC per round, cached   (MB): ${heap(report)} → growth ${growth(report).toFixed(2)} MB\n` +
      `  heap after GC per round, uncached (MB): ${heap(control)} → growth ${growth(control).toFixed(2)} MB`,
  )
  expect(report.peakBytes).toBeLessThanOrEqual(report.maxBytes)
  expect(report.peakEntries).toBeLessThanOrEqual(report.maxEntries)
  // the bound was reached, so eviction was exercised, and the cache served hits
  expect(report.peakBytes).toBeGreaterThan(report.maxBytes * 0.8)
  expect(report.stats.hits).toBeGreaterThan(0)
  // no growth beyond the ORMs' own warm-up, and little in absolute terms
  expect(growth(report) - growth(control)).toBeLessThan(1)
  expect(growth(report)).toBeLessThan(2)
})
