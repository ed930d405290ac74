// Test helpers shared by the packages' suites: Redis adapters and namespaces, and a
// redis-server of the test's own on a spare loopback port that a test can kill, freeze and restart.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import KeyvRedis, { createCluster } from '@keyv/redis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A KeyvRedis adapter that reconnects quickly after an outage (querycache bounds each call itself). */
export function redisAdapter(url = REDIS_URL): KeyvRedis<string> {
  const { hostname, port } = new URL(url)
  // node-redis lets `socket` override the URL's host and port, so both are spelled out
  return new KeyvRedis<string>({
    url,
    socket: {
      host: hostname,
      port: Number(port || 6379),
      connectTimeout: 500,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500),
    },
  })
}

/**
 * A KeyvRedis over a cluster client that finds a failed-over node quickly: short connect timeout,
 * fast reconnects (querycache bounds each call itself).
 */
export function clusterAdapter(rootNodes: { url: string }[]): KeyvRedis<string> {
  const cluster = createCluster({
    rootNodes,
    defaults: {
      socket: {
        connectTimeout: 500,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500),
      },
    },
  })
  // createCluster's generic defaults differ from the ones KeyvRedis declares; the client is the same
  return new KeyvRedis<string>(cluster as unknown as ConstructorParameters<typeof KeyvRedis>[0])
}

/** The parts of a node-redis client (one node or a cluster) raw store access needs. */
interface RawClient {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  del(key: string): Promise<unknown>
}

/**
 * A KeyvRedis as the store contract suite takes it: the adapter as the store, raw access to the
 * same Redis through `client` (its own node-redis client), closed by disconnecting the adapter.
 */
export function redisUnderTest(adapter: KeyvRedis<string>, client: RawClient) {
  return {
    store: adapter,
    raw: {
      get: async (k: string) => (await client.get(k)) ?? undefined,
      set: async (k: string, v: string) => void (await client.set(k, v)),
      delete: async (k: string) => void (await client.del(k)),
    },
    close: () => adapter.disconnect(),
  }
}

/** A namespace no other test uses, so test files can share one Redis in parallel. */
export function uniqueNamespace(label: string): string {
  return `t-${label.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 30)}-${randomUUID().slice(0, 8)}`
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** A redis-server of the test's own on a spare loopback port, so the test can kill it. */
export class OwnRedis {
  private child: ChildProcess | undefined
  constructor(
    readonly port: number,
    /** More redis-server options, e.g. TLS (`--tls-port`, with `--port 0`, then listens only there). */
    private readonly extraArgs: readonly string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...this.extraArgs,
      ],
      {
        stdio: 'ignore',
      },
    )
    const deadline = Date.now() + 5000
    while (Date.now() < deadline) {
      if (await canConnect(this.port)) return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  /** Freeze the server (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP')
  }

  resume(): void {
    this.child?.kill('SIGCONT')
  }

  async stop(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.end()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Every key of a namespace in a Redis (SCAN, never KEYS). */
export async function scanNamespace(adapter: KeyvRedis<string>, namespace: string) {
  // a single-node client (these tests never use a cluster)
  const client = (await adapter.getClient()) as unknown as {
    scanIterator(o: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>
  }
  const keys: string[] = []
  for await (const batch of client.scanIterator({ MATCH: `${namespace}:*`, COUNT: 500 })) {
    if (Array.isArray(batch)) keys.push(...batch)
    else keys.push(batch as string)
  }
  return keys.sort()
}
