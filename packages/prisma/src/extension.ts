import { AsyncLocalStorage } from 'node:async_hooks'
import { Prisma } from '@prisma/client/extension'
import { Decimal, Sql } from '@prisma/client/runtime/client'
import {
  CacheOptionError,
  type CodecType,
  createQueryCache,
  QueryCache,
  type QueryCacheOptions,
} from '@querycache/core'
import {
  type CacheCallInfo,
  type CallOptions,
  checkCallOptions,
  Invalidator,
  readThrough,
  reportBypass,
  ScopedKeys,
  type TransactionWrites,
  type WriteEffect,
} from '@querycache/core/adapter'
import { readDependencies } from './dependencies.js'
import { SchemaGraph } from './schema.js'
import { rawEffect, WRITE_OPERATIONS, writeEffect } from './writes.js'

/** The per-call `cache` option of every model read. `false` skips the cache for this call. */
export type CacheCallOptions =
  | {
      /** Seconds; `null` = until invalidated. */
      ttl?: number | null | undefined
      /** Your own key for this result (scoped when `scope` is set), e.g. for `deletePattern`. */
      key?: string | undefined
      /** Tags this result depends on, for `prisma.$cache.invalidateTags`. */
      tags?: readonly string[] | undefined
      /** Seconds past the TTL during which the old result is served while one refresh runs. */
      swr?: number | undefined
      /**
       * Told how this call was served — `hit`, `stale`, `miss` or `bypass` (with the reason) —
       * with its key and dependencies. The call's result is unchanged.
       */
      onInfo?: ((info: CacheCallInfo) => void) | undefined
    }
  | false

/** Options of `$queryRawCached`: a raw read is cached only when it names what it reads. */
export interface RawCacheOptions {
  /** Models the SQL reads; a write to any of them invalidates the result. */
  models?: readonly string[] | undefined
  tags?: readonly string[] | undefined
  ttl?: number | null | undefined
  key?: string | undefined
  swr?: number | undefined
  /** Told how this call was served (see `CacheCallOptions.onInfo`). */
  onInfo?: ((info: CacheCallInfo) => void) | undefined
}

export interface CacheExtensionOptions {
  /** A QueryCache, or options for `createQueryCache`. Default: an in-memory cache. */
  cache?: QueryCache | QueryCacheOptions | undefined
  /** `true` (default): every model read is cached; `false`: only reads with a `cache` option. */
  auto?: boolean | undefined
  /** Default TTL in seconds for this client's reads; `null` = until invalidated. */
  ttl?: number | null | undefined
  /** Per-model overrides: `{ Post: { ttl: 600 }, AuditLog: false }` (`false`: never cached). */
  models?: Record<string, { ttl?: number | null | undefined } | false> | undefined
  /**
   * Part of every key, e.g. the tenant or role of the current request. Reads that may return
   * different rows to different callers (row-level security, per-tenant connections) must set it.
   */
  scope?: (() => string | undefined) | undefined
  /**
   * When `scope` returns undefined (or throws): `'bypass'` (default) runs the read uncached,
   * counted as a bypass — a lost AsyncLocalStorage context must not share one entry among
   * tenants; `'shared'` caches it under one unscoped key on purpose.
   */
  unscoped?: 'bypass' | 'shared' | undefined
}

/** Prisma's Decimal, cached as its string form and decoded to a Decimal again. */
export const decimalType: CodecType<Decimal, string> = {
  name: 'prisma.Decimal',
  test: (value): value is Decimal => Decimal.isDecimal(value),
  encode: (value) => value.toString(),
  decode: (json) => new Decimal(json),
}

const READ_OPERATIONS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
])

interface QueryParams {
  model?: string
  operation: string
  args: unknown
  query: (args: unknown) => Promise<unknown>
  __internalParams?: { transaction?: unknown }
}

type CacheArg = { cache?: CacheCallOptions }

/** The engine behind one extended client. */
class CachingLayer {
  readonly graph: SchemaGraph
  /** The client's `omit` option: it shapes every result, so it is part of every key. */
  private readonly globalOmit: unknown
  /** The writes of the `$transaction` this call runs in, queued until it ends. */
  readonly transactions = new AsyncLocalStorage<TransactionWrites>()
  private readonly invalidator: Invalidator
  private readonly keys: ScopedKeys

  constructor(
    readonly options: CacheExtensionOptions,
    readonly cache: QueryCache,
    client: unknown,
  ) {
    const c = client as {
      _runtimeDataModel?: unknown
      _engineConfig?: { inlineSchema?: string }
      _activeProvider?: string
      _globalOmit?: unknown
    }
    this.globalOmit = c._globalOmit
    if (!c._runtimeDataModel)
      throw new CacheOptionError(
        'cacheExtension: this Prisma Client has no runtime data model (querycache supports Prisma 7)',
      )
    this.graph = new SchemaGraph(
      c._runtimeDataModel as never,
      c._engineConfig?.inlineSchema,
      c._activeProvider,
    )
    this.invalidator = new Invalidator(cache, this.graph.dependencies)
    this.keys = new ScopedKeys(options.scope, options.unscoped)
    for (const name of Object.keys(this.options.models ?? {})) {
      if (!this.graph.models.has(name))
        throw new CacheOptionError(
          `cacheExtension: models.${name} names no model of this schema (models: ${this.graph.allModels().join(', ')})`,
        )
    }
  }

  async handle(params: QueryParams): Promise<unknown> {
    const { model, operation, query } = params
    // Prisma marks every operation of an interactive or batch transaction; an operation on the
    // plain client inside a transaction callback is not part of it and commits on its own
    const inTransaction = params.__internalParams?.transaction !== undefined
    if (model && READ_OPERATIONS.has(operation)) {
      const { cache: option, rest } = splitCacheOption(params.args)
      if (inTransaction) {
        // a transaction may read its own uncommitted rows: never cache them, never serve it stale
        this.cache.recordBypass()
        bypassed(option, 'transaction')
        return query(rest)
      }
      return this.read(model, operation, rest, option, () => query(rest))
    }
    if (model && !WRITE_OPERATIONS.has(operation) && !READ_OPERATIONS.has(operation)) {
      // an operation this version does not know (e.g. a Mongo raw op): assume it writes
      return this.write(
        () => query(params.args),
        { written: [model], deleted: [model] },
        inTransaction,
      )
    }
    if (model) {
      const effect = safely(() => writeEffect(this.graph, model, operation, params.args))
      return this.write(() => query(params.args), effect, inTransaction)
    }
    if (operation.startsWith('$')) {
      // $executeRaw(Unsafe), $queryRaw(Unsafe) and any other raw operation: never cached
      const sql = rawSqlText(params.args)
      const effect = sql === undefined ? undefined : safely(() => rawEffect(this.graph, sql))
      if (effect === null) return query(params.args)
      return this.write(() => query(params.args), effect, inTransaction)
    }
    return query(params.args)
  }

  private read(
    model: string,
    operation: string,
    args: unknown,
    option: CallOptions | false | undefined,
    run: () => Promise<unknown>,
  ): Promise<unknown> {
    const modelOption = this.options.models?.[model]
    if (
      option === false ||
      modelOption === false ||
      (this.options.auto === false && option === undefined)
    ) {
      this.cache.recordBypass()
      bypassed(option, 'opted-out')
      return run()
    }
    const models = safely(() => readDependencies(this.graph, model, args))
    if (!models) {
      this.cache.recordBypass()
      bypassed(option, 'unreadable')
      return run()
    }
    const scoped = this.keys.forRead()
    if (!scoped) {
      this.cache.recordBypass()
      bypassed(option, 'no-scope')
      return run()
    }
    const { scope } = scoped
    const key = option?.key
      ? this.keys.custom(option.key, scope, 'cache.key')
      : this.keys.query({ model, operation, args, omit: this.globalOmit }, scope)
    return readThrough(
      this.cache,
      {
        key,
        dependencies: this.graph.dependencies.read(models),
        ttl: pickTtl(option?.ttl, modelOption?.ttl, this.options.ttl),
        tags: option?.tags,
        swr: option?.swr,
        onInfo: option?.onInfo,
      },
      run,
    )
  }

  /**
   * Runs a write; what it changed is invalidated before its promise settles (also when it fails:
   * it may have committed), or, inside a transaction, queued until the transaction ends.
   */
  write(
    run: () => Promise<unknown>,
    effect: WriteEffect | undefined,
    inTransaction: boolean,
  ): Promise<unknown> {
    return this.invalidator.write(
      run,
      effect,
      inTransaction ? this.transactions.getStore() : undefined,
    )
  }

  /** Runs `$transaction` of `client`, then applies the queued invalidations before resolving. */
  transaction(client: { $transaction: (...a: unknown[]) => Promise<unknown> }, args: unknown[]) {
    // every $transaction call queues on its own, nested ones too: each commits on its own
    return this.invalidator.transaction((writes) => {
      const [first, ...rest] = args
      // interactive: the callback is watched (if it throws, Prisma rolls back); a batch cannot
      // tell a failed COMMIT from a rollback, so a failed batch invalidates
      const run =
        typeof first === 'function'
          ? [writes.callback(first as (tx: unknown) => unknown), ...rest]
          : args
      return this.transactions.run(writes, () => client.$transaction(...run))
    })
  }

  async rawRead(
    options: RawCacheOptions,
    query: Sql,
    run: () => Promise<unknown>,
  ): Promise<unknown> {
    checkCallOptions(options, '$queryRawCached', '{ models?, tags?, ttl?, key?, swr? }')
    const models = options.models ?? []
    const tags = options.tags ?? []
    if (models.length === 0 && tags.length === 0)
      throw new CacheOptionError(
        '$queryRawCached: name the models (or tags) the SQL reads, e.g. { models: ["Post"] }, so writes can invalidate it',
      )
    for (const m of models) {
      if (!this.graph.models.has(m))
        throw new CacheOptionError(
          `$queryRawCached: "${m}" is not a model of this schema (models: ${this.graph.allModels().join(', ')})`,
        )
    }
    const writes = rawEffect(this.graph, query.sql)
    if (writes)
      throw new CacheOptionError(
        '$queryRawCached caches reads only; run statements that change data with $executeRaw or $queryRaw',
      )
    if (writes === undefined) {
      // SQL this adapter cannot read (a DO block, a procedure call): run it, never cache it
      this.cache.recordBypass()
      bypassed(options, 'unreadable')
      return run()
    }
    // a raw read inside a transaction callback (on `tx` or not) is never cached: conservative,
    // since the extension context does not say whether `this` is the transaction's client
    if (this.transactions.getStore()) {
      this.cache.recordBypass()
      bypassed(options, 'transaction')
      return run()
    }
    const scoped = this.keys.forRead()
    if (!scoped) {
      this.cache.recordBypass()
      bypassed(options, 'no-scope')
      return run()
    }
    const { scope } = scoped
    const key = options.key
      ? this.keys.custom(options.key, scope, 'key')
      : this.keys.query({ raw: query.strings, values: query.values }, scope)
    return readThrough(
      this.cache,
      {
        key,
        dependencies: this.graph.dependencies.read(models),
        ttl: pickTtl(options.ttl, undefined, this.options.ttl),
        tags,
        swr: options.swr,
        onInfo: options.onInfo,
      },
      run,
    )
  }
}

function resolveCache(options: CacheExtensionOptions): QueryCache {
  validateOptions(options)
  const c = options.cache
  if (c instanceof QueryCache) {
    c.codec.register(decimalType)
    return c
  }
  return createQueryCache({ ...c, types: [decimalType, ...(c?.types ?? [])] })
}

function validateOptions(options: CacheExtensionOptions): void {
  if (options.scope !== undefined && typeof options.scope !== 'function')
    throw new CacheOptionError(
      'cacheExtension: scope must be a function returning a string or undefined',
    )
  if (options.auto !== undefined && typeof options.auto !== 'boolean')
    throw new CacheOptionError('cacheExtension: auto must be true or false')
}

/** Tells a call's `onInfo` (when it has a cache option) that it went to the database uncached. */
function bypassed(
  option: { onInfo?: ((info: CacheCallInfo) => void) | undefined } | false | undefined,
  reason: NonNullable<CacheCallInfo['reason']>,
): void {
  if (option) reportBypass(option.onInfo, reason)
}

/** Takes the `cache` option off a read's arguments (Prisma must not see it), checked. */
function splitCacheOption(args: unknown): {
  cache: CallOptions | false | undefined
  rest: unknown
} {
  if (typeof args !== 'object' || args === null || !('cache' in args))
    return { cache: undefined, rest: args }
  const { cache, ...rest } = args as { cache?: unknown }
  return { cache: checkCallOptions(cache, 'cache'), rest }
}

function pickTtl(...ttls: (number | null | undefined)[]): number | null | undefined {
  for (const t of ttls) if (t !== undefined) return t
  return undefined
}

/** Analysis must never fail a query: if it throws, the caller falls back to the safe choice. */
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}

/** The SQL text of a raw operation, if it has one we can read. */
function rawSqlText(args: unknown): string | undefined {
  if (args instanceof Sql) return args.sql
  if (Array.isArray(args) && typeof args[0] === 'string') return args[0]
  if (typeof args === 'object' && args !== null) {
    const a = args as { sql?: unknown; strings?: unknown; query?: unknown }
    if (typeof a.sql === 'string') return a.sql
    if (Array.isArray(a.strings)) return a.strings.join('?')
    if (typeof a.query === 'string') return a.query
  }
  if (typeof args === 'string') return args
  return undefined
}

/**
 * Wraps `$transaction` (interactive and batch) so queued invalidations run after commit and
 * before the promise resolves; `$extends` on the result keeps the wrapping.
 */
function wrapClient<C extends object>(client: C, layer: CachingLayer): C {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === '$transaction')
        return (...args: unknown[]) =>
          layer.transaction(
            target as unknown as { $transaction: (...a: unknown[]) => Promise<unknown> },
            args,
          )
      if (prop === '$extends')
        return (...args: unknown[]) =>
          wrapClient(
            (target as unknown as { $extends: (...a: unknown[]) => object }).$extends(...args),
            layer,
          )
      const value = Reflect.get(target, prop)
      return typeof value === 'function' && typeof prop === 'string' && prop.startsWith('$')
        ? value.bind(target)
        : value
    },
  })
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1)

/** Forwards a model read to the layer below, where the `cache` option is read and removed. */
function forward(self: unknown, operation: string, args: unknown): unknown {
  const ctx = Prisma.getExtensionContext(self) as unknown as {
    $name: string
    $parent: Record<string, Record<string, (args: unknown) => unknown>>
  }
  return ctx.$parent[lowerFirst(ctx.$name)]![operation]!(args)
}

/**
 * `prisma.$extends(cacheExtension(options))`: model reads are cached, writes invalidate what they
 * can change, and every read takes a typed `cache` option.
 */
export function cacheExtension(options: CacheExtensionOptions = {}) {
  const cache = resolveCache(options)
  return Prisma.defineExtension((client) => {
    const layer = new CachingLayer(options, cache, client)
    const cached = client.$extends({
      name: 'querycache',
      query: {
        $allOperations(params) {
          return layer.handle(params as unknown as QueryParams) as never
        },
      },
      client: {
        /** The QueryCache behind this client: invalidate, clear, stats. */
        $cache: layer.cache,
        /**
         * A cached raw read: `prisma.$queryRawCached({ models: ['Post'] }, Prisma.sql\`...\`)`.
         * It must name the models (or tags) it reads; writes to those models invalidate it.
         */
        $queryRawCached<T = unknown>(options: RawCacheOptions, query: Sql): Promise<T> {
          if (!(query instanceof Sql))
            throw new CacheOptionError(
              '$queryRawCached(options, query): query must be a Prisma.sql`...` value',
            )
          const ctx = Prisma.getExtensionContext(this) as unknown as {
            $queryRaw: (q: Sql) => Promise<unknown>
          }
          return layer.rawRead(options, query, () => ctx.$queryRaw(query)) as Promise<T>
        },
      },
    })
    // The typed `cache` option. Prisma runs a model-method override below every later `$extends`
    // layer (a result extension added on top would be skipped), so the client handed back is
    // `cached`, whose query layer already reads and strips `cache`; this layer lends its types.
    const typed = cached.$extends({
      name: 'querycache-options',
      model: {
        $allModels: {
          findUnique<T, A>(
            this: T,
            args: Prisma.Exact<A, Prisma.Args<T, 'findUnique'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'findUnique'>> {
            return forward(this, 'findUnique', args) as never
          },
          findUniqueOrThrow<T, A>(
            this: T,
            args: Prisma.Exact<A, Prisma.Args<T, 'findUniqueOrThrow'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'findUniqueOrThrow'>> {
            return forward(this, 'findUniqueOrThrow', args) as never
          },
          findFirst<T, A>(
            this: T,
            args?: Prisma.Exact<A, Prisma.Args<T, 'findFirst'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'findFirst'>> {
            return forward(this, 'findFirst', args) as never
          },
          findFirstOrThrow<T, A>(
            this: T,
            args?: Prisma.Exact<A, Prisma.Args<T, 'findFirstOrThrow'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'findFirstOrThrow'>> {
            return forward(this, 'findFirstOrThrow', args) as never
          },
          findMany<T, A>(
            this: T,
            args?: Prisma.Exact<A, Prisma.Args<T, 'findMany'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'findMany'>> {
            return forward(this, 'findMany', args) as never
          },
          count<T, A>(
            this: T,
            args?: Prisma.Exact<A, Prisma.Args<T, 'count'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'count'>> {
            return forward(this, 'count', args) as never
          },
          aggregate<T, A>(
            this: T,
            args: Prisma.Exact<A, Prisma.Args<T, 'aggregate'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'aggregate'>> {
            return forward(this, 'aggregate', args) as never
          },
          groupBy<T, A>(
            this: T,
            args: Prisma.Exact<A, Prisma.Args<T, 'groupBy'> & CacheArg>,
          ): Prisma.PrismaPromise<Prisma.Result<T, A, 'groupBy'>> {
            return forward(this, 'groupBy', args) as never
          },
        },
      },
    })
    return wrapClient(cached, layer) as unknown as typeof typed
  })
}
