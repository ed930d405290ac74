import { StoreError } from '../errors.js'
import type { StoreChannel, Subscription } from './types.js'

/** The parts of a node-redis client (one node, or a cluster) a subscription uses. */
export interface PubSubClient {
  subscribe(channels: string[], listener: (message: string, channel: string) => void): Promise<void>
  connect(): Promise<unknown>
  on(event: string, listener: (...args: unknown[]) => void): unknown
  close(): Promise<unknown>
  destroy(): void
}

const CONNECT_TIMEOUT_MS = 2000

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
 * Pub/sub over node-redis. Messages are published on the caller's connections; a subscription
 * gets a client of its own (`subscriber()`, a duplicate of the caller's), since a subscribed
 * Redis connection can run nothing else. Channel names are prefixed like keys.
 */
export function redisChannel(options: {
  prefix: (name: string) => string
  publish: (channel: string, message: string, route: string) => Promise<void>
  subscriber: () => Promise<PubSubClient>
}): StoreChannel {
  const { prefix } = options
  return {
    publish: (channel, message, route) =>
      options.publish(prefix(channel), message, prefix(route ?? channel)),
    async subscribe(channels, onMessage, onDown): Promise<Subscription> {
      const client = await options.subscriber()
      // reconnects are node-redis's; each drop may lose messages, so the owner hears of it
      for (const event of ['error', 'node-error', 'end', 'reconnecting', 'disconnect'])
        client.on(event, () => onDown())
      const names = new Map(channels.map((c) => [prefix(c), c]))
      try {
        await withinConnectTimeout(async () => {
          await client.connect()
          await client.subscribe([...names.keys()], (message, channel) =>
            onMessage(message, names.get(channel) ?? channel),
          )
        }, 'Redis subscribe')
      } catch (error) {
        client.destroy()
        throw error
      }
      return {
        async close() {
          try {
            await client.close()
          } catch {
            client.destroy()
          }
        },
      }
    },
  }
}
