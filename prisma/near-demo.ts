// The demos' two-process part: two processes, each with a near cache (an in-process tier) in
// front of the same Redis. B caches a read in its memory, A writes, B's next read is fresh once
// A's invalidation message has reached it. Nothing here is querycache itself.
import { type ChildProcess, fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { ms, table } from './demo-kit.ts'

/** The parts of a QueryCache with `nearCache` on that the demo reads. */
interface NearCacheLike {
  stats(): { hits: number; near?: { hits: number; trusted: boolean } }
}

/** One process's side: its cache and the ORM read and write of post 5 through it. */
export interface NearSide {
  cache: NearCacheLike
  read(): Promise<{ title: string } | null | undefined>
  close(): Promise<void>
}

type PeerMessage =
  | { cached: { first: Served; second: Served } }
  | { after: { appliedAfterMs: number | null; read: Served; title: string | undefined } }

interface Served {
  ms: number
  /** 'near': from process memory; 'redis': a hit read from Redis; 'miss': the database. */
  from: 'near' | 'redis' | 'miss'
}

/** What the demos print instead when they run without Redis. */
export const NEAR_NEEDS_REDIS = (title: string) =>
  `\n${title}: near cache across two processes — skipped: it needs Redis (REDIS_URL=redis://127.0.0.1:6379 pnpm demo)`

const now = () => performance.timeOrigin + performance.now()

async function trusted(cache: NearCacheLike): Promise<void> {
  for (let i = 0; cache.stats().near?.trusted !== true; i++) {
    if (i > 500) throw new Error('the near cache never trusted its channel')
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function served(side: NearSide): Promise<Served & { title: string | undefined }> {
  const before = side.cache.stats()
  const start = performance.now()
  const row = await side.read()
  const took = performance.now() - start
  const after = side.cache.stats()
  const from =
    (after.near?.hits ?? 0) > (before.near?.hits ?? 0)
      ? 'near'
      : after.hits > before.hits
        ? 'redis'
        : 'miss'
  return { ms: took, from, title: row?.title }
}

const describeServed = (s: Served) =>
  `${ms(s.ms)} ${{ near: 'hit from process memory', redis: 'hit from Redis', miss: 'miss (database)' }[s.from]}`

/**
 * Process A (this one): starts process B (`peer`, a script calling `nearCachePeer`), lets it
 * cache post 5, updates post 5 through `a`, and prints what B saw. Returns the problems found.
 */
export async function nearCacheDemo(options: {
  title: string
  peer: string
  database: { url: string; provider: string }
  /** The namespace of A's cache, which B uses too. */
  namespace: string
  /** A's side; its cache is closed at the end. */
  a: Omit<NearSide, 'close' | 'cache'> & {
    cache: NearCacheLike & { close(): Promise<void> }
    write(title: string): Promise<unknown>
  }
}): Promise<number> {
  const { a } = options
  const child: ChildProcess = fork(options.peer, {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      QC_DEMO_DB_URL: options.database.url,
      QC_DEMO_PROVIDER: options.database.provider,
      QC_DEMO_NAMESPACE: options.namespace,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const messages: PeerMessage[] = []
  const waiters: (() => void)[] = []
  child.on('message', (m: PeerMessage) => {
    messages.push(m)
    for (const w of waiters.splice(0)) w()
  })
  const next = async <K extends 'cached' | 'after'>(key: K) => {
    const deadline = Date.now() + 30_000
    while (!messages.some((m) => key in m)) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`process B ended without reporting "${key}"`)
      await new Promise<void>((r) => {
        waiters.push(r)
        setTimeout(r, 100)
      })
    }
    return messages.find((m) => key in m) as Extract<PeerMessage, Record<K, unknown>>
  }
  try {
    const side = { ...a, close: () => a.cache.close() }
    await trusted(a.cache)
    await a.read()
    const aHit = await served(side)
    const { cached } = await next('cached')
    const title = `Edited in process A at ${new Date().toISOString().slice(11, 23)}`
    await a.write(title)
    child.send({ written: now() })
    const { after } = await next('after')
    const fresh = after.title === title
    console.log(
      `\n${options.title}: near cache across two processes (each keeps hits in its own memory, in front of the same Redis)`,
    )
    table([
      { process: 'B', step: 'read post 5, 1st call', result: describeServed(cached.first) },
      {
        process: 'B',
        step: 'read post 5, next 200 calls',
        result: `median of the last 100: ${describeServed(cached.second)}`,
      },
      { process: 'A', step: 'read post 5 (cached in A too)', result: describeServed(aHit) },
      {
        process: 'A',
        step: 'update post 5 title',
        result: 'invalidation written to Redis, published',
      },
      {
        process: 'B',
        step: "A's invalidation message arrives",
        result:
          after.appliedAfterMs === null
            ? 'not within 2 s (B stops trusting its memory instead)'
            : `${ms(Math.max(0, after.appliedAfterMs))} after A's update returned`,
      },
      {
        process: 'B',
        step: 'read post 5 again',
        result: `${describeServed(after.read)}: ${fresh ? 'fresh ✓' : `STALE ✗ (${after.title})`}`,
      },
    ])
    const problems = (fresh ? 0 : 1) + (cached.second.from === 'near' ? 0 : 1)
    if (cached.second.from !== 'near')
      console.log(`${options.title}: B's next reads were not all served from its memory — PROBLEM`)
    return problems
  } finally {
    if (child.exitCode === null) child.kill()
    await a.cache.close()
  }
}

/**
 * Process B: caches post 5 in its near cache, tells A, waits for A's write and for the
 * invalidation message it sends, reads post 5 again and reports. `open` gets the cache's
 * `nearCache.onMessage` hook.
 */
export async function nearCachePeer(
  open: (onMessage: (event: { kind: string; at: number }) => void) => NearSide,
): Promise<void> {
  let appliedAt: number | undefined
  const b = open((event) => {
    if (event.kind === 'applied') appliedAt ??= event.at
  })
  await trusted(b.cache)
  const first = await served(b)
  // the next calls: the median of the warmed half, and where they came from (all from memory, or a problem)
  const next: Served[] = []
  for (let i = 0; i < 200; i++) next.push(await served(b))
  const times = next
    .slice(100)
    .map((n) => n.ms)
    .sort((x, y) => x - y)
  const second: Served = {
    ms: times[50]!,
    from: next.every((n) => n.from === 'near') ? 'near' : 'redis',
  }
  process.send!({ cached: { first, second } })
  const writtenAt = await new Promise<number>((resolve) =>
    process.on('message', (m: { written?: number }) => m.written && resolve(m.written)),
  )
  for (let i = 0; appliedAt === undefined && i < 200; i++)
    await new Promise((r) => setTimeout(r, 10))
  const read = await served(b)
  process.send!({
    after: {
      appliedAfterMs: appliedAt === undefined ? null : appliedAt - writtenAt,
      read,
      title: read.title,
    },
  })
  await b.close()
  process.exit(0)
}
