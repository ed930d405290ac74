import type { CacheCallInfo } from './call-options.js'
import type { Dependencies, WriteEffect } from './dependencies.js'
import type { ReadRequest } from './reads.js'

/** Why a read goes to the database uncached (as `onInfo` reports it). */
export type BypassReason = NonNullable<CacheCallInfo['reason']>

/**
 * What an adapter would do with one call, told without running it (`explain`): whether a read is
 * cached, under which key and dependencies, or why it bypasses; what a write invalidates.
 */
export interface CacheExplanation {
  /** `read` (cached or bypassed), `write` (invalidates), `passthrough` (runs as is: a raw read). */
  operation: 'read' | 'write' | 'passthrough'
  /** A read: whether it would be served from the cache (or stored there after a miss). */
  cached: boolean
  /** A read that bypasses: why. */
  reason?: BypassReason
  /** A cached read: its key. */
  key?: string
  /** A read: the dependency names (`Post`, `posts`, …) whose invalidation drops it. */
  dependencies: readonly string[]
  /** A write: the dependency names it invalidates (`*`: every read). */
  invalidates: readonly string[]
  /** A cached read: seconds, `null` = until invalidated, undefined = the cache's default. */
  ttl?: number | null | undefined
  /** A cached read: its tags. */
  tags: readonly string[]
  /** A write inside a transaction: its invalidation waits until the transaction ends. */
  deferred?: boolean
}

/** How a read will be served: a request for the cache, or the reason it goes uncached. */
export type ReadDecision = { bypass: BypassReason } | { request: Omit<ReadRequest, 'onInfo'> }

/** The explanation of a read decision. */
export function explainRead(decision: ReadDecision): CacheExplanation {
  if ('bypass' in decision)
    return {
      operation: 'read',
      cached: false,
      reason: decision.bypass,
      dependencies: [],
      invalidates: [],
      tags: [],
    }
  const r = decision.request
  return {
    operation: 'read',
    cached: true,
    key: r.key,
    dependencies: [...r.dependencies], // the caller's own: the adapter's may be shared
    invalidates: [],
    ttl: r.ttl,
    tags: r.tags ?? [],
  }
}

/** The explanation of a write whose effect is `effect` (`undefined`: cannot be told, so every read). */
export function explainWrite(
  dependencies: Dependencies,
  effect: WriteEffect | undefined,
  deferred = false,
): CacheExplanation {
  return {
    operation: 'write',
    cached: false,
    dependencies: [],
    invalidates: dependencies.write(effect),
    tags: [],
    ...(deferred ? { deferred } : {}),
  }
}

/** A call that runs as is and changes nothing cached (a raw read). */
export const PASSTHROUGH: CacheExplanation = Object.freeze({
  operation: 'passthrough',
  cached: false,
  dependencies: [],
  invalidates: [],
  tags: [],
})
