import { CacheOptionError, StoreError } from '../errors.js'
import { keySlot } from '../keys.js'
import { type PubSubClient, redisChannel, withinConnectTimeout } from './redis-channel.js'
import { defineStore, type StoreDriver } from './types.js'

/** The parts of node-redis's cluster client (`createCluster` from `@keyv/redis` or `redis`) used here. */
export interface RedisClusterLike {
  readonly isOpen: boolean
  connect(): Promise<unknown>
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>
  readonly masters: ReadonlyArray<ClusterNode>
  readonly slots: ReadonlyArray<{ readonly master: ClusterNode } | undefined>
  nodeClient(node: ClusterNode): Promise<ScanClient> | ScanClient
  on(event: 'node-error' | 'error' | 'disconnect', listener: (error?: unknown) => void): unknown
  duplicate(overrides?: { minimizeConnections?: boolean }): RedisClusterLike & PubSubClient
  close(): Promise<unknown>
  destroy(): void
  readonly _slots?: { rediscover(startWith: unknown): Promise<void> }
}

interface ClusterNode {
  readonly address?: string
  readonly client?: { isReady?: boolean }
}

/** A node-redis client of one node, as far as SCAN goes. */
export interface ScanClient {
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
  /**
   * After a slot changes master (a failover, a reshard) or a read of it fails, reads of that slot
   * bypass the cache for this long. A write whose invalidation could not reach the dead master is retried by its
   * process every `retryAfterMs`; until the retry lands, the promoted replica holds the old token.
   * Keep it above the `retryAfterMs` of every process. Default 3000 ms.
   */
  failoverGraceMs?: number
}

/** Prefixes keys the way the Keyv adapter in front of the cluster does. */
export type KeyPrefixer = (key: string) => string

const REDISCOVER_EVERY_MS = 250
const REPLACE_WRITER_AFTER_MS = 1000

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
  const waitReplicas = options.waitReplicas ?? 1
  const waitTimeoutMs = options.waitTimeoutMs ?? 50
  const failoverGraceMs = options.failoverGraceMs ?? 3000
  for (const [name, value, min, max] of [
    ['slotGroups', slotGroups, 1, 1024],
    ['waitReplicas', waitReplicas, 0, 16],
    ['waitTimeoutMs', waitTimeoutMs, 1, 60_000],
    ['failoverGraceMs', failoverGraceMs, 0, 3_600_000],
  ] as const) {
    if (!Number.isInteger(value) || value < min || value > max)
      throw new CacheOptionError(
        `Redis Cluster option ${name} must be an integer from ${min} to ${max}; got ${String(value)}`,
      )
  }
  let connected: Promise<RedisClusterLike> | undefined
  let writerConnected: Promise<RedisClusterLike> | undefined

  const cluster = (): Promise<RedisClusterLike> => {
    connected ??= (async () => {
      const c = await getCluster()
      if (!c.isOpen) await c.connect()
      watch(c)
      // when its owner closes the client, our invalidation connections go too (or they would keep
      // the process alive)
      c.on('disconnect', () => {
        void closeWriter()
      })
      // the invalidation connections are made now, while the cluster answers, not at the first write
      void writer().catch(() => {})
      return c
    })().catch((error) => {
      connected = undefined
      throw error
    })
    return connected
  }

  /**
   * Invalidations get connections of their own: WAIT blocks the connection it is sent on, and
   * hits must not queue behind it while a replica is slow.
   */
  const writer = (): Promise<RedisClusterLike> => {
    writerConnected ??= (async () => {
      // connect to nodes as they are needed, so a dead node cannot hold up the others
      const c = (await cluster()).duplicate({ minimizeConnections: true })
      // its failures surface as failed commands; an unheard 'error' event would crash the process
      c.on('error', () => {})
      // discovery has no timeout of its own: a frozen root node would hold every invalidation
      try {
        await withinConnectTimeout(() => c.connect(), 'Redis Cluster discovery')
      } catch (error) {
        c.destroy()
        throw error
      }
      watch(c)
      return c
    })().catch((error) => {
      writerConnected = undefined
      throw error
    })
    return writerConnected
  }

  async function closeWriter(): Promise<void> {
    const w = writerConnected
    writerConnected = undefined
    if (w) await w.then((c) => c.close()).catch(() => {})
  }

  /**
   * The invalidation connections are ours, so when they keep failing (a rediscovery that never
   * completes, a node that never answers) they are replaced: a fresh client discovers the cluster
   * from its root nodes. The caller's client is only ever asked to rediscover.
   */
  let writerFailingSince: number | undefined
  function writerFailed(): void {
    const now = Date.now()
    writerFailingSince ??= now
    if (now - writerFailingSince < REPLACE_WRITER_AFTER_MS) return
    writerFailingSince = undefined
    const old = writerConnected
    writerConnected = undefined
    if (old)
      void old.then(
        (c) => c.destroy(),
        () => {},
      )
  }

  /** Runs a command routed by `firstKey`; TRYAGAIN (a multi-key command on a slot being migrated) is retried briefly. */
  async function send(firstKey: string, args: string[], via = cluster): Promise<unknown> {
    const c = await via()
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

  /**
   * Replicas of the master owning `key`'s slot that could be promoted: listed in the cluster's
   * configuration and not flagged failing. A master whose replicas are all gone (after a failover,
   * until the old master rejoins) cannot lose a write to a promotion, so fewer acks are enough.
   */
  async function healthyReplicas(key: string): Promise<number> {
    const id = String(await send(key, ['CLUSTER', 'MYID'], writer))
    const lines = (await send(key, ['CLUSTER', 'REPLICAS', id], writer)) as string[]
    return lines.filter(
      (line) => !/(^|,)(fail\??|handshake|noaddr)(,|$)/.test(line.split(' ')[2] ?? ''),
    ).length
  }

  /**
   * Masters found without a replica that could be promoted (after a failover, until the old
   * master rejoins): WAIT there would only block until its timeout, so it is skipped for a second.
   */
  const replicaCounts = new Map<string, { healthy: number; at: number }>()
  const noReplicas = (address: string) => {
    const known = replicaCounts.get(address)
    return known !== undefined && known.healthy === 0 && Date.now() - known.at < 1000
  }

  /** Throws while `slot` is within the grace period after a change of its master or a failed read. */
  function settled(c: RedisClusterLike, slot: number): void {
    if (failoverGraceMs === 0) return
    const state = slotState(c, slot)
    const since = Math.max(state?.changedAt ?? 0, state?.failedAt ?? 0)
    if (Date.now() - since < failoverGraceMs)
      throw new StoreError(
        'QC_STORE_UNAVAILABLE',
        `slot ${slot} ${since === state?.changedAt ? 'changed master' : 'failed a read'} ${Date.now() - since} ms ago; its reads bypass the cache for ${failoverGraceMs} ms, so invalidations its old master could not take are retried first`,
      )
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

  async function rotate(tokens: ReadonlyArray<readonly [string, string]>): Promise<void> {
    const full = tokens.map(([key]) => prefix(key))
    const c = await writer()
    // one MSET per slot; per node, one WAIT after all of them (WAIT blocks its connection, and
    // covers every write sent before it on that connection)
    const byNode = new Map<unknown, number[][]>()
    for (const [slot, indexes] of bySlot(full)) {
      const node = c.slots[slot]?.master ?? slot
      const groups = byNode.get(node)
      if (groups) groups.push(indexes)
      else byNode.set(node, [indexes])
    }
    await Promise.all(
      [...byNode].map(async ([node, groups]) => {
        const writes = groups.map((indexes) =>
          send(
            full[indexes[0]!]!,
            ['MSET', ...indexes.flatMap((i) => [full[i]!, tokens[i]![1]])],
            writer,
          ),
        )
        const first = full[groups[0]![0]!]!
        const address = (node as ClusterNode).address
        if (waitReplicas === 0 || (address !== undefined && noReplicas(address)))
          return Promise.all(writes)
        const wait = send(first, ['WAIT', String(waitReplicas), String(waitTimeoutMs)], writer)
        const [acked] = await Promise.all([wait.then(Number), ...writes])
        if (acked >= waitReplicas) return
        const healthy = await healthyReplicas(first)
        if (address !== undefined) replicaCounts.set(address, { healthy, at: Date.now() })
        if (acked < healthy)
          throw new StoreError(
            'QC_STORE_FAILED',
            `invalidation reached ${acked} of ${waitReplicas} replica(s) within ${waitTimeoutMs} ms; it is retried (set waitReplicas: 0 for a cluster without replicas)`,
          )
      }),
    )
  }

  return defineStore({
    name: 'redis-cluster',
    slotGroups,
    async get(key) {
      const k = prefix(key)
      const value = await send(k, ['GET', k])
      return typeof value === 'string' ? value : undefined
    },
    async getMany(keys) {
      const full = keys.map(prefix)
      const out: (string | undefined)[] = new Array(keys.length)
      const c = await cluster()
      await Promise.all(
        [...bySlot(full)].map(async ([slot, indexes]) => {
          settled(c, slot)
          let values: (string | null)[]
          try {
            values = (await send(full[indexes[0]!]!, [
              'MGET',
              ...indexes.map((i) => full[i]!),
            ])) as (string | null)[]
          } catch (error) {
            // a node that fails reads may be failing over: treat the slot as moving
            const state = slotState(c, slot)
            if (state) state.failedAt = Date.now()
            throw error
          }
          // the map may have changed while the command was redirected
          settled(c, slot)
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
      try {
        await rotate(tokens)
        writerFailingSince = undefined
      } catch (error) {
        if (!isReply(error) && !(error instanceof StoreError)) writerFailed()
        throw error
      }
    },
    async *scan(keyPrefix) {
      const c = await cluster()
      const full = prefix(keyPrefix)
      // SCAN sees one node: walk every master (a failover during the walk is reported by the caller)
      for (const master of [...c.masters])
        yield* scanNode(await c.nodeClient(master), full, keyPrefix)
    },
    // classic PUBLISH reaches subscribers on every node (the cluster bus fans it out), so one
    // subscription on any node hears every process; `route` puts related messages on one node,
    // which relays them in order
    channel: redisChannel({
      prefix,
      publish: async (channel, message, route) => {
        await send(route, ['PUBLISH', channel, message])
      },
      subscriber: async () => (await cluster()).duplicate({ minimizeConnections: true }),
      owner: cluster,
      closedEvent: 'disconnect',
    }),
    onTimeout() {
      // a stalled node may have been failed over: look for the new owner of its slots
      for (const c of [connected, writerConnected]) if (c) void c.then(rediscover, () => {})
      writerFailed()
    },
    async close() {
      // the invalidation connections are ours; the caller's client only when closeStore allows
      await closeWriter()
      await close?.()
    },
  })
}

/** When each cluster client last rediscovered; one listener per client, however many caches share it. */
const lastRediscover = new WeakMap<RedisClusterLike, number>()

function watch(c: RedisClusterLike): void {
  if (lastRediscover.has(c)) return
  lastRediscover.set(c, 0)
  c.on('node-error', () => rediscover(c))
}

function rediscover(c: RedisClusterLike): void {
  const now = Date.now()
  if (now - (lastRediscover.get(c) ?? 0) < REDISCOVER_EVERY_MS || !c._slots) return
  lastRediscover.set(c, now)
  const live = c.masters.find((m) => m.client?.isReady)?.client ?? c.masters[0]?.client
  // falls back to the root nodes when `live` does not answer; a failure is retried on the next error
  void c._slots.rediscover(live).catch(() => {})
}

/** Per cluster client and slot: its master when last read, when that changed, when a read of it last failed. */
interface SlotState {
  address: string
  changedAt?: number
  failedAt?: number
}
const slotStates = new WeakMap<RedisClusterLike, Map<number, SlotState>>()

function slotState(c: RedisClusterLike, slot: number): SlotState | undefined {
  const address = c.slots[slot]?.master.address
  if (address === undefined) return undefined
  let bySlot = slotStates.get(c)
  if (!bySlot) {
    // every slot's owner as of the first read, so a later change is seen even on a slot not read before it
    bySlot = new Map()
    for (let i = 0; i < c.slots.length; i++) {
      const owner = c.slots[i]?.master.address
      if (owner !== undefined) bySlot.set(i, { address: owner })
    }
    slotStates.set(c, bySlot)
  }
  let state = bySlot.get(slot)
  if (!state) {
    state = { address }
    bySlot.set(slot, state)
  } else if (state.address !== address) {
    state.address = address
    state.changedAt = Date.now()
  }
  return state
}

/** node-redis's ErrorReply (and its subclasses): the server answered, the connection is fine. */
function isReply(error: unknown): boolean {
  for (let p = Object.getPrototypeOf(error ?? {}); p; p = Object.getPrototypeOf(p))
    if (p.constructor?.name === 'ErrorReply') return true
  return false
}

/** Every key on one node under `keyPrefix` (whose store key is `full`), in batches, without the store's own prefix. */
export async function* scanNode(
  client: ScanClient,
  full: string,
  keyPrefix: string,
): AsyncGenerator<string[]> {
  const strip = full.length - keyPrefix.length
  for await (const chunk of client.scanIterator({
    MATCH: `${escapeRedisGlob(full)}*`,
    COUNT: 1000,
  })) {
    const keys = Array.isArray(chunk) ? chunk : [chunk]
    if (keys.length > 0) yield keys.map((k) => k.slice(strip))
  }
}

function escapeRedisGlob(s: string): string {
  return s.replace(/[*?[\]\\^]/g, '\\$&')
}
