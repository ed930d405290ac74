// Metrics from querycache's diagnostics_channel events: Prometheus (prom-client) counters and
// histograms, and the OpenTelemetry attribute names for a span or a metric of each read.
// Copy it into your app; packages/core/test/telemetry.test.ts runs it.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  type ErrorEvent,
  type InvalidateEvent,
  type ReadEvent,
  type SetEvent,
  TELEMETRY_CHANNELS,
} from '@querycache/core'
import { Counter, Histogram, type Registry } from 'prom-client'

/** OpenTelemetry's cache attributes for one read (`cache.key` only with `telemetry: { keys: true }`). */
export function cacheAttributes(e: ReadEvent): Record<string, string | boolean> {
  return {
    'cache.hit': e.result === 'hit' || e.result === 'stale',
    'querycache.result': e.result,
    'querycache.namespace': e.namespace,
    ...(e.model ? { 'querycache.model': e.model } : {}),
    ...(e.key ? { 'cache.key': e.key } : {}),
  }
}

/** Registers querycache's metrics on `registry`; returns a function that stops collecting. */
export function querycacheMetrics(registry: Registry): () => void {
  const reads = new Counter({
    name: 'querycache_reads_total',
    help: 'Cache reads by result (hit, stale, miss, bypass)',
    labelNames: ['namespace', 'model', 'result'],
    registers: [registry],
  })
  const readSeconds = new Histogram({
    name: 'querycache_read_duration_seconds',
    help: 'From the call to its result; a miss includes the query',
    labelNames: ['namespace', 'result'],
    buckets: [0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [registry],
  })
  const itemSize = new Histogram({
    name: 'querycache_item_size',
    help: 'Size of stored entries (cache.item_size), in characters',
    labelNames: ['namespace'],
    buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576],
    registers: [registry],
  })
  const invalidations = new Counter({
    name: 'querycache_invalidations_total',
    help: 'Invalidations by kind (models, tags, delete, pattern, clear)',
    labelNames: ['namespace', 'kind'],
    registers: [registry],
  })
  const errors = new Counter({
    name: 'querycache_errors_total',
    help: 'Store and codec failures by code (each also reaches onError)',
    labelNames: ['namespace', 'code'],
    registers: [registry],
  })
  const onRead = (message: unknown) => {
    const e = message as ReadEvent
    reads.inc({ namespace: e.namespace, model: e.model ?? '', result: e.result })
    readSeconds.observe({ namespace: e.namespace, result: e.result }, e.durationMs / 1000)
  }
  const onSet = (message: unknown) => {
    const e = message as SetEvent
    itemSize.observe({ namespace: e.namespace }, e.itemSize)
  }
  const onInvalidate = (message: unknown) => {
    const e = message as InvalidateEvent
    invalidations.inc({ namespace: e.namespace, kind: e.kind })
  }
  const onError = (message: unknown) => {
    const e = message as ErrorEvent
    errors.inc({ namespace: e.namespace, code: e.code })
  }
  subscribe(TELEMETRY_CHANNELS.read, onRead)
  subscribe(TELEMETRY_CHANNELS.set, onSet)
  subscribe(TELEMETRY_CHANNELS.invalidate, onInvalidate)
  subscribe(TELEMETRY_CHANNELS.error, onError)
  return () => {
    unsubscribe(TELEMETRY_CHANNELS.read, onRead)
    unsubscribe(TELEMETRY_CHANNELS.set, onSet)
    unsubscribe(TELEMETRY_CHANNELS.invalidate, onInvalidate)
    unsubscribe(TELEMETRY_CHANNELS.error, onError)
  }
}
