import { StoreError } from '../errors.js'
import type { StoreChannel, Subscription } from './types.js'

/** The parts of a node-redis client (one node, or a cluster) a subscription uses. */
export interface PubSubClient {
  readonly isOpen: boolean
  /** A cluster client has none: then it counts as not ready. */
  readonly isReady?: boolean
  subscribe(channels: string[], listener: (message: string, channel: string) => void): Promise<void>
  connect(): Promise<unknown>
  on(event: string, listener: (...args: unknown[]) => void): unknown
  close(): Promise<unknown>
  destroy(): void
}

/** The caller's client, as far as noticing that its owner closed it goes. */
interface OwnerClient {
  on(event: string, listener: () => void): unknown
}

const CONNECT_TIMEOUT_MS = 2000

// Every way a subscriber connection can stop delivering that node-redis tells of (the node-*
// events are a cluster client's, e.g. its pub/sub node replaced after a rediscovery).
const DOWN_EVENTS = [
  'error',
  'end',
  'reconnecting',
  'disconnect',
  'node-error',
  'node-disconnect',
  'node-reconnecting',
]

/**
 * Runs a connect (or connect-and-subscribe) that node-redis would let hang on a frozen node,
 * failing it with QC_STORE_TIMEOUT after 2 s.
 */
export async function withinConnectTimeout(
  run: () => Promise<unknown>,
  what: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new StoreError('QC_STORE_TIMEOUT', `${what} timed out`)),
          CONNECT_TIMEOUT_MS,
        )
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Closes a client of ours whatever state it is in; never throws. One not connected is destroyed
 * (a graceful close would wait for a connection that may never come).
 */
async function release(client: PubSubClient): Promise<void> {
  if (!client.isOpen) return
  try {
    if (client.isReady === true) await client.close()
    else client.destroy()
  } catch {
    try {
      if (client.isOpen) client.destroy()
    } catch {
      // already closed
    }
  }
}

/**
 * Pub/sub over node-redis. Messages are published on the caller's connections; a subscription
 * gets a client of its own (`subscriber()`, a duplicate of the caller's), since a subscribed
 * Redis connection can run nothing else. Channel names are prefixed like keys. Once the caller's
 * client is closed by its owner (`closedEvent`), the subscriptions close too and the channel
 * refuses work, so it neither keeps the process alive nor reopens the caller's client.
 */
export function redisChannel(options: {
  prefix: (name: string) => string
  publish: (channel: string, message: string, route: string) => Promise<void>
  subscriber: () => PubSubClient | Promise<PubSubClient>
  /** The caller's client (or how to get it), and the event it emits when it is closed. */
  owner: OwnerClient | (() => Promise<OwnerClient>)
  closedEvent: string
}): StoreChannel {
  const { prefix } = options
  const live = new Set<PubSubClient>()
  let ownerClosed = false
  let watching: Promise<void> | undefined
  const watch = (owner: OwnerClient) => {
    owner.on(options.closedEvent, () => {
      ownerClosed = true
      for (const client of live) void release(client)
    })
    // a KeyvRedis reconnects its client on the next call after a failed connect
    owner.on('ready', () => {
      ownerClosed = false
    })
  }
  /** Listens to the caller's client, at the first use of the channel (a client handed over directly: at once, before the channel connects anything). */
  const watchOwner = (): Promise<void> => {
    const owner = options.owner
    watching ??=
      typeof owner === 'function'
        ? owner().then(watch, (error) => {
            watching = undefined
            throw error
          })
        : Promise.resolve(watch(owner))
    return watching
  }
  const refuseWhenClosed = () => {
    if (ownerClosed)
      throw new StoreError('QC_STORE_UNAVAILABLE', 'the Redis client was closed by its owner')
  }
  return {
    async publish(channel, message, route) {
      void watchOwner().catch(() => {})
      refuseWhenClosed()
      await options.publish(prefix(channel), message, prefix(route ?? channel))
    },
    async subscribe(channels, onMessage, onDown, signal): Promise<Subscription> {
      const watched = watchOwner()
      refuseWhenClosed()
      const names = new Map(channels.map((c) => [prefix(c), c]))
      let client: PubSubClient | undefined
      let abandoned = false
      const gone = () => abandoned || ownerClosed || signal?.aborted === true
      const attempt = (async () => {
        await watched
        if (gone()) return
        client = await options.subscriber()
        live.add(client)
        // reconnects are node-redis's; each drop may lose messages, so the owner hears of it
        for (const event of DOWN_EVENTS) client.on(event, () => onDown())
        if (gone()) return
        await client.connect()
        if (gone()) return
        await client.subscribe([...names.keys()], (message, channel) =>
          onMessage(message, names.get(channel) ?? channel),
        )
      })()
      const drop = () => {
        if (!client) return
        live.delete(client)
        void release(client)
      }
      const abort = () => {
        abandoned = true
        drop()
      }
      signal?.addEventListener('abort', abort, { once: true })
      try {
        await withinConnectTimeout(() => attempt, 'Redis subscribe')
        if (gone()) throw new StoreError('QC_STORE_UNAVAILABLE', 'the subscription was given up')
      } catch (error) {
        abandoned = true
        // a late connect is closed as soon as it lands
        attempt.then(drop, drop)
        drop()
        throw error
      } finally {
        signal?.removeEventListener('abort', abort)
      }
      return {
        async close() {
          const c = client!
          live.delete(c)
          await release(c)
        },
      }
    },
  }
}
