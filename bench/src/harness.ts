import { Bench } from 'tinybench'

export const smoke = process.argv.includes('--smoke')

/** Latency figures in microseconds. */
export interface Sample {
  group: string
  name: string
  p50: number
  p99: number
  mean: number
  samples: number
}

export interface Target {
  name: string
  /** The measured figure, with its unit, as shown. */
  value: string
  goal: string
  met: boolean
}

export interface SuiteResult {
  samples: Sample[]
  targets: Target[]
  facts: Record<string, string | number>
}

/**
 * Runs tasks one after another in one Bench, same process, same data: the ratios between them
 * are the claim, not the absolute numbers.
 */
export async function sideBySide(
  group: string,
  tasks: Record<string, () => unknown>,
): Promise<Sample[]> {
  const bench = new Bench({
    time: smoke ? 20 : 1500,
    warmupTime: smoke ? 5 : 300,
    iterations: smoke ? 5 : 50,
    warmupIterations: smoke ? 2 : 20,
  })
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn as () => Promise<void>)
  progress(`${group}: ${Object.keys(tasks).join(', ')}`)
  await bench.run()
  return bench.tasks.map((task) => {
    const r = task.result as {
      state?: string
      latency?: { p50: number; p99: number; mean: number; samplesCount: number }
      error?: unknown
    }
    if (!r.latency) throw new Error(`${group} / ${task.name} failed: ${String(r.error ?? r.state)}`)
    return {
      group,
      name: task.name,
      p50: r.latency.p50 * 1000,
      p99: r.latency.p99 * 1000,
      mean: r.latency.mean * 1000,
      samples: r.latency.samplesCount,
    }
  })
}

export function find(samples: Sample[], group: string, name: string): Sample {
  const s = samples.find((x) => x.group === group && x.name === name)
  if (!s) throw new Error(`no sample ${group} / ${name}`)
  return s
}

/** `a` is `ratio` times faster than `b`, by median. */
export function speedup(fast: Sample, slow: Sample): number {
  return slow.p50 / fast.p50
}

export function target(
  name: string,
  ratio: number,
  goal: number,
  unit = '×',
  atMost = false,
): Target {
  return {
    name,
    value: `${ratio.toFixed(unit === '%' ? 1 : 1)}${unit}`,
    goal: `${atMost ? '≤' : '≥'} ${goal}${unit}`,
    met: atMost ? ratio <= goal : ratio >= goal,
  }
}

export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`)
}

/** Cached reads per second with `concurrency` loops running for `ms`. */
export async function throughput(
  read: () => Promise<unknown>,
  concurrency: number,
  ms: number,
): Promise<number> {
  let count = 0
  const until = performance.now() + ms
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await read()
        count++
      }
    }),
  )
  return Math.round(count / (ms / 1000))
}
