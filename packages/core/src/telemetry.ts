import { channel } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'

/**
 * Events on `node:diagnostics_channel`, for metrics and traces (see the README's Telemetry
 * section for an OpenTelemetry/Prometheus mapping). Publishing costs one boolean check while
 * nobody subscribes. Cache keys can hold personal data (ids, e-mail addresses in a query), so
 * events carry them only with `telemetry: { keys: true }`.
 */
export const TELEMETRY_CHANNELS = {
  /** Every `get`/`getOrSet` (adapters' reads included): {@link ReadEvent}. */
  read: 'querycache:read',
  /** Every entry written: {@link SetEvent}. */
  set: 'querycache:set',
  /** Every invalidation, delete, deletePattern and clear: {@link InvalidateEvent}. */
  invalidate: 'querycache:invalidate',
  /** Every store or codec failure reported to `onError`: {@link ErrorEvent}. */
  error: 'querycache:error',
} as const

export interface TelemetryOptions {
  /** Include cache keys in events (`key`). Default false: keys can hold personal data. */
  keys?: boolean | undefined
}

interface BaseEvent {
  namespace: string
  /** The key (`telemetry: { keys: true }` only). */
  key?: string
}

export interface ReadEvent extends BaseEvent {
  /**
   * `hit`, `stale` (served, refreshing), `miss` (the query ran; `durationMs` includes it),
   * `bypass` (straight to the database: the store down or an invalidation pending).
   */
  result: 'hit' | 'stale' | 'miss' | 'bypass'
  /** The read's first model or table, when it has one. */
  model: string | undefined
  /** From the call to its result. */
  durationMs: number
}

export interface SetEvent extends BaseEvent {
  model: string | undefined
  /** Size of the stored entry, in characters of its serialized form. */
  itemSize: number
  /** Seconds; null: until invalidated. */
  ttl: number | null
  durationMs: number
}

export interface InvalidateEvent extends BaseEvent {
  kind: 'models' | 'tags' | 'delete' | 'pattern' | 'clear'
  models: readonly string[]
  tags: readonly string[]
  durationMs: number
}

export interface ErrorEvent extends BaseEvent {
  code: string
  operation: string
  error: Error
}

const read = channel(TELEMETRY_CHANNELS.read)
const set = channel(TELEMETRY_CHANNELS.set)
const invalidate = channel(TELEMETRY_CHANNELS.invalidate)
const error = channel(TELEMETRY_CHANNELS.error)

/** One cache's publisher: its namespace, and whether events carry keys. */
export class Telemetry {
  constructor(
    private readonly namespace: string,
    private readonly withKeys: boolean,
  ) {}

  /** A start time when anyone listens to reads (0 otherwise: nothing is published). */
  readStart(): number {
    return read.hasSubscribers ? performance.now() : 0
  }

  read(started: number, key: string, result: ReadEvent['result'], model: string | undefined) {
    if (started === 0 || !read.hasSubscribers) return
    read.publish(
      this.event<ReadEvent>(key, { result, model, durationMs: performance.now() - started }),
    )
  }

  setStart(): number {
    return set.hasSubscribers ? performance.now() : 0
  }

  set(
    started: number,
    key: string,
    model: string | undefined,
    itemSize: number,
    ttl: number | null,
  ) {
    if (started === 0 || !set.hasSubscribers) return
    set.publish(
      this.event<SetEvent>(key, { model, itemSize, ttl, durationMs: performance.now() - started }),
    )
  }

  invalidateStart(): number {
    return invalidate.hasSubscribers ? performance.now() : 0
  }

  invalidate(
    started: number,
    kind: InvalidateEvent['kind'],
    models: readonly string[],
    tags: readonly string[],
    key?: string,
  ) {
    if (started === 0 || !invalidate.hasSubscribers) return
    invalidate.publish(
      this.event<InvalidateEvent>(key, {
        kind,
        models,
        tags,
        durationMs: performance.now() - started,
      }),
    )
  }

  error(e: Error & { code?: string }, operation: string, key: string | undefined) {
    if (!error.hasSubscribers) return
    error.publish(
      this.event<ErrorEvent>(key, { code: e.code ?? 'QC_UNKNOWN', operation, error: e }),
    )
  }

  private event<E extends BaseEvent>(key: string | undefined, fields: Omit<E, keyof BaseEvent>): E {
    const e = { namespace: this.namespace, ...fields } as E
    if (this.withKeys && key !== undefined) e.key = key
    return e
  }
}
