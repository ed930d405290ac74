import { randomUUID } from 'node:crypto'
import KeyvRedis from '@keyv/redis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export function redisStore() {
  const url = new URL(REDIS_URL)
  return new KeyvRedis({
    url: REDIS_URL,
    socket: { host: url.hostname, port: Number(url.port || 6379), reconnectStrategy: 50 },
  })
}

export function uniqueNamespace(): string {
  return `qct-${randomUUID().slice(0, 8)}`
}
