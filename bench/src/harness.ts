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
  /** How something was measured, in a sentence each (printed and put in the README). */
  notes?: string[]
}

/** A task with an untimed hook run before each of its iterations (e.g. forcing a cache miss). */
export interface TaskSpec {
  fn: () => unknown
  beforeEach?: () => void | Promise<void>
}

/**
 * Runs tasks one after another in one Bench, same process, same data: the ratios between them
 * are the claim, not the absolute numbers.
 */
export async function sideBySide(
  group: string,
  tasks: Record<string, (() => unknown) | TaskSpec>,
  ms = 1500,
): Promise<Sample[]> {
  const bench = new Bench({
    time: smoke ? 20 : ms,
    warmupTime: smoke ? 5 : 300,
    iterations: smoke ? 5 : 50,
    warmupIterations: smoke ? 2 : 20,
  })
  for (const [name, task] of Object.entries(tasks)) {
    const spec = typeof task === 'function' ? { fn: task } : task
    // beforeEach runs before every iteration, outside the timed section. Every 50th iteration
    // also yields to the event loop, as a server does between requests: a cache hit does no I/O,
    // so without it nothing else would run for seconds (the near cache's channel included)
    let i = 0
    bench.add(name, spec.fn as () => Promise<void>, {
      beforeEach: async () => {
        if (++i % 50 === 0) await new Promise<void>((resolve) => setImmediate(resolve))
        await spec.beforeEach?.()
      },
    })
  }
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
  const meets = (value: number) => (atMost ? value <= goal : value >= goal)
  const met = meets(ratio)
  // one decimal, or as many as it takes for the figure shown to read as met or missed as it is
  let digits = 1
  while (digits < 4 && meets(Number(ratio.toFixed(digits))) !== met) digits++
  return {
    name,
    value: `${ratio.toFixed(digits)}${unit}`,
    goal: `${atMost ? '≤' : '≥'} ${goal}${unit}`,
    met,
  }
}

/** A figure that must equal `goal` (within `tolerance`), e.g. round trips per hit. */
export function targetExactly(name: string, value: number, goal: number, tolerance = 0.01): Target {
  return {
    name,
    value: `${Number(value.toFixed(3))}`,
    goal: `= ${goal}`,
    met: Math.abs(value - goal) <= tolerance,
  }
}

/** Overhead of `slow` over `base`, by median, in percent of `base`. */
export function overheadPercent(slow: Sample, base: Sample): number {
  return ((slow.p50 - base.p50) / base.p50) * 100
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

/**
 * Runs tasks round-robin (one call of each per round, order alternating), timing each call, so
 * slow drift of the database or the machine hits every task alike: for small differences between
 * slow tasks, such as the overhead of a cache miss over the bare query.
 */
export async function interleaved(
  group: string,
  tasks: Record<string, TaskSpec>,
  ms = 3000,
): Promise<Sample[]> {
  const entries = Object.entries(tasks)
  progress(`${group} (interleaved): ${entries.map(([n]) => n).join(', ')}`)
  const times = new Map<string, number[]>(entries.map(([n]) => [n, []]))
  const warmup = smoke ? 2 : 20
  const minRounds = smoke ? 5 : 50
  const until = performance.now() + (smoke ? 20 : ms)
  for (let round = 0; round < warmup + minRounds || performance.now() < until; round++) {
    const order = round % 2 === 0 ? entries : [...entries].reverse()
    // untimed, as in sideBySide: let the event loop run now and then
    if (round % 50 === 49) await new Promise<void>((resolve) => setImmediate(resolve))
    for (const [name, spec] of order) {
      await spec.beforeEach?.()
      const start = performance.now()
      await spec.fn()
      const elapsed = performance.now() - start
      if (round >= warmup) times.get(name)!.push(elapsed)
    }
  }
  return entries.map(([name]) => {
    const t = times.get(name)!.sort((a, b) => a - b)
    const at = (q: number) => t[Math.min(t.length - 1, Math.floor(q * t.length))]! * 1000
    return {
      group,
      name,
      p50: at(0.5),
      p99: at(0.99),
      mean: (t.reduce((a, b) => a + b, 0) / t.length) * 1000,
      samples: t.length,
    }
  })
}

export function round(n: number, digits = 2): number {
  return Number(n.toFixed(digits))
}
