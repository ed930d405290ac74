import { StoreError } from '../errors.js'
import { keySlot } from '../keys.js'
import { defineStore, type StoreDriver } from './types.js'

/** The parts of node-redis's cluster client (`createCluster` from `@keyv/redis` or `redis`) used here. */
export interface RedisClusterLike {
  readonly isOpen: boolean
  connect(): Promise<unknown>
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>
  readonly masters: ReadonlyArray<ClusterNode>
  nodeClient(node: ClusterNode): Promise<NodeClient> | NodeClient
  on(event: 'node-error', listener: (error: unknown) => void): unknown
  readonly _slots?: { rediscover(startWith: unknown): Promise<void> }
}

interface ClusterNode {
  readonly address?: string
  readonly client?: { isReady?: boolean }
}

interface NodeClient {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>
}

export interface RedisClusterStoreOptions {
  /**
   * Hash slots querycache spreads its keys over; each holds its entries and its own copy of every
   * token, so a hit is one MGET on one node. More groups spread load more evenly over masters and
   * make an invalidation write more tokens. Every process sharing the cluster must use the same
   * value. Default 16.
   */
  slotGroups?: number
  /**
   * Replicas that must acknowledge an invalidation before a write resolves (`WAIT`). A rotated
   * token lost in a failover would bring back entries it invalidated, so this defaults to 1; set
   * 0 for a cluster without replicas. Default 1.
   */
  waitReplicas?: number
  /** How long `WAIT` may block. Default 50 ms; keep it below the cache's `timeoutMs`. */
  waitTimeoutMs?: number
}

/** Prefixes keys the way the Keyv adapter in front of the cluster does. */
export type KeyPrefixer = (key: string) => string

const REDISCOVER_EVERY_MS = 250

/**
 * A StoreDriver for Redis Cluster on node-redis's cluster client. Every command goes through the
 * cluster client, which follows `MOVED` and `ASK`; multi-key commands are split per slot (so they
 * never answer `CROSSSLOT`); SCAN covers every master; after a node error the slot map is
 * rediscovered (at most every 250 ms) so a promoted replica takes over without waiting for a
 * `MOVED` that a dead node never sends.
 */
export function redisClusterDriver(
  getCluster: () => Promise<RedisClusterLike>,
  prefix: KeyPrefixer,
  close: (() => Promise<void>) | undefined,
  options: RedisClusterStoreOptions = {},
): StoreDriver {
  const slotGroups = options.slotGroups ?? 16
  if (!Number.isInteger(slotGroups) || slotGroups < 1 || slotGroups > 1024)
    throw new StoreError(
      'QC_STORE_FAILED',
      `slotGroups must be an integer from 1 to 1024; got ${slotGroups}`,
    )
  const waitReplicas = options.waitReplicas ?? 1
  const waitTimeoutMs = options.waitTimeoutMs ?? 50
  let connected: Promise<RedisClusterLike> | undefined
  let lastRediscover = 0

  const cluster = (): Promise<RedisClusterLike> => {
    connected ??= (async () => {
      const c = await getCluster()
      if (!c.isOpen) await c.connect()
      c.on('node-error', () => rediscover(c))
      return c
    })().catch((error) => {
      connected = undefined
      throw error
    })
    return connected
  }

  function rediscover(c: RedisClusterLike): void {
    const now = Date.now()
    if (now - lastRediscover < REDISCOVER_EVERY_MS || !c._slots) return
    lastRediscover = now
    const live = c.masters.find((m) => m.client?.isReady)?.client ?? c.masters[0]?.client
    // falls back to the root nodes when `live` does not answer; a failure here is retried on the next error
    void c._slots.rediscover(live).catch(() => {})
  }

  /** Runs a command routed by `firstKey`; TRYAGAIN (a multi-key command on a slot being migrated) is retried briefly. */
  async function send(firstKey: string, args: string[]): Promise<unknown> {
    const c = await cluster()
    for (let attempt = 0; ; attempt++) {
      try {
        return await c.sendCommand(firstKey, false, args)
      } catch (error) {
        if (attempt < 5 && String((error as Error)?.message).startsWith('TRYAGAIN')) {
          await new Promise((r) => setTimeout(r, 5 * (attempt + 1)))
          continue
        }
        if (!isReply(error)) rediscover(c)
        throw error
      }
    }
  }

  /** Indexes of `keys` grouped by slot. */
  function bySlot(keys: readonly string[]): Map<number, number[]> {
    const groups = new Map<number, number[]>()
    keys.forEach((key, i) => {
      const slot = keySlot(key)
      const group = groups.get(slot)
      if (group) group.push(i)
      else groups.set(slot, [i])
    })
    return groups
  }

  return defineStore({
    name: 'redis-cluster',
    slotGroups,
    async get(key) {
      const value = await send(prefix(key), ['GET', prefix(key)])
      return typeof value === 'string' ? value : undefined
    },
    async getMany(keys) {
      const full = keys.map(prefix)
      const out: (string | undefined)[] = new Array(keys.length)
      await Promise.all(
        [...bySlot(full)].map(async ([, indexes]) => {
          const values = (await send(full[indexes[0]!]!, [
            'MGET',
            ...indexes.map((i) => full[i]!),
          ])) as (string | null)[]
          indexes.forEach((i, j) => {
            const v = values[j]
            out[i] = typeof v === 'string' ? v : undefined
          })
        }),
      )
      return out
    },
    async set(key, value, ttlMs) {
      const k = prefix(key)
      await send(
        k,
        ttlMs === undefined
          ? ['SET', k, value]
          : ['SET', k, value, 'PX', String(Math.max(1, Math.ceil(ttlMs)))],
      )
    },
    async deleteMany(keys) {
      const full = keys.map(prefix)
      await Promise.all(
        [...bySlot(full)].map(([, indexes]) =>
          send(full[indexes[0]!]!, ['UNLINK', ...indexes.map((i) => full[i]!)]),
        ),
      )
    },
    async writeTokens(tokens) {
      const full = tokens.map(([key]) => prefix(key))
      await Promise.all(
        [...bySlot(full)].map(async ([, indexes]) => {
          const first = full[indexes[0]!]!
          await send(first, ['MSET', ...indexes.flatMap((i) => [full[i]!, tokens[i]![1]])])
          if (waitReplicas === 0) return
          // WAIT is routed to the same node, on the same connection, as the MSET before it
          const acked = Number(
            await send(first, ['WAIT', String(waitReplicas), String(waitTimeoutMs)]),
          )
          if (acked < waitReplicas)
            throw new StoreError(
              'QC_STORE_FAILED',
              `invalidation reached ${acked} of ${waitReplicas} replica(s) within ${waitTimeoutMs} ms; it is retried (set waitReplicas: 0 for a cluster without replicas)`,
            )
        }),
      )
    },
    async *scan(keyPrefix) {
      const c = await cluster()
      const full = prefix(keyPrefix)
      const strip = full.length - keyPrefix.length
      // SCAN sees one node: walk every master (a failover during the walk is reported by the caller)
      for (const master of [...c.masters]) {
        const client = await c.nodeClient(master)
        for await (const chunk of client.scanIterator({
          MATCH: `${escapeRedisGlob(full)}*`,
          COUNT: 1000,
        })) {
          const keys = Array.isArray(chunk) ? chunk : [chunk]
          if (keys.length > 0) yield keys.map((k) => k.slice(strip))
        }
      }
    },
    ...(close ? { close } : {}),
  })
}

/** node-redis's ErrorReply (and its subclasses): the server answered, the connection is fine. */
function isReply(error: unknown): boolean {
  for (let p = Object.getPrototypeOf(error ?? {}); p; p = Object.getPrototypeOf(p))
    if (p.constructor?.name === 'ErrorReply') return true
  return false
}

export function escapeRedisGlob(s: string): string {
  return s.replace(/[*?[\]\\^]/g, '\\$&')
}
