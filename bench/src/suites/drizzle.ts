// Drizzle: the same select / join / relational reads uncached vs a querycache hit vs Drizzle's own
// cache (a Map-backed `Cache` subclass as in Drizzle's docs), on SQLite (libsql) and PostgreSQL
// (node-postgres), and MySQL/MariaDB (mysql2) with MYSQL_URL, same data, same run.
import { createClient } from '@libsql/client'
import { createQueryCache, memoryStore, type QueryCache } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import * as mysqlSchema from '@querycache/schema/drizzle/mysql'
import * as pgSchema from '@querycache/schema/drizzle/pg'
import * as sqliteSchema from '@querycache/schema/drizzle/sqlite'
import { desc, eq, getTableName, is, sql, Table } from 'drizzle-orm'
import { Cache, type MutationOption } from 'drizzle-orm/cache/core'
import type { CacheConfig } from 'drizzle-orm/cache/core/types'
import { drizzle as libsqlDrizzle } from 'drizzle-orm/libsql'
import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2'
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { type BenchRedis, PROVIDERS, type Provider, seededDatabase, short } from '../fixtures.js'
import {
  find,
  interleaved,
  round,
  type Sample,
  type SuiteResult,
  sideBySide,
  speedup,
  type Target,
  target,
} from '../harness.js'
import { MISS_METHOD } from './prisma.js'
import {
  FLOOR_TARGETS_NOTE,
  floorFigures,
  fromNearMemory,
  HIT_METHOD,
  hitsAndMisses,
  missTargets,
  NEAR_NOTE,
  nearCacheFigures,
  nearCacheOn,
  redisGetOf,
  sameData,
  storedEntry,
} from './shared.js'

/**
 * Drizzle's built-in cache over an in-memory Map, written as Drizzle's docs write a custom cache:
 * strategy 'all', get / put (remembering which keys each table's queries used) / onMutate.
 * `copy: true` stores JSON text and parses it on every hit, as the docs' Keyv store does by
 * default (and as querycache does: a hit is a fresh copy); `copy: false` hands back the very
 * object it was given, the fastest any Map-backed cache can be.
 *
 * The JSON copy keeps only what Drizzle reads back, exactly what querycache stores: libsql's rows
 * (array-like objects whose indices JSON would drop) become arrays, a pg Result becomes `{ rows }`
 * (Keyv's default serializer would keep the whole Result, which is slower, and lose libsql's
 * indices, which breaks the hit).
 */
export class MapCache extends Cache {
  private readonly map = new Map<string, unknown>()
  private readonly keysByTable = new Map<string, Set<string>>()
  constructor(private readonly copy: boolean) {
    super()
  }
  override strategy(): 'explicit' | 'all' {
    return 'all'
  }
  override async get(key: string): Promise<any[] | undefined> {
    const v = this.map.get(key)
    return v === undefined ? undefined : this.copy ? JSON.parse(v as string) : (v as any[])
  }
  override async put(
    key: string,
    response: any,
    tables: string[],
    _isTag: boolean,
    _config?: CacheConfig,
  ): Promise<void> {
    this.map.set(key, this.copy ? JSON.stringify(response, driverRows) : response)
    for (const table of tables) {
      const keys = this.keysByTable.get(table) ?? new Set()
      keys.add(key)
      this.keysByTable.set(table, keys)
    }
  }
  override async onMutate(params: MutationOption): Promise<void> {
    const tags = params.tags === undefined ? [] : [params.tags].flat()
    for (const tag of tags) this.map.delete(tag)
    const tables = params.tables === undefined ? [] : [params.tables].flat()
    for (const t of tables) {
      const name = is(t, Table) ? getTableName(t) : (t as string)
      for (const key of this.keysByTable.get(name) ?? []) this.map.delete(key)
      this.keysByTable.delete(name)
    }
  }
  get size(): number {
    return this.map.size
  }
}

function driverRows(_key: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
  const length = Object.getOwnPropertyDescriptor(v, 'length')
  if (length && !length.enumerable && typeof length.value === 'number')
    return Array.prototype.slice.call(v)
  const proto = Object.getPrototypeOf(v)
  const rows = (v as { rows?: unknown }).rows
  if (proto !== Object.prototype && proto !== null && Array.isArray(rows)) return { rows }
  return v
}

/**
 * The driver client, except that each distinct statement goes to the database once and is then
 * answered from memory with the same result object: Drizzle with this client is the floor of any
 * cache that sits behind Drizzle's query builder (SQL building and row mapping still run).
 */
function answeringFromMemory<T extends object>(client: T): T {
  const seen = new Map<string, Promise<unknown>>()
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if ((property !== 'query' && property !== 'execute') || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value
      return (...args: unknown[]) => {
        const key = JSON.stringify(args)
        let answer = seen.get(key)
        if (!answer) {
          answer = Promise.resolve(value.apply(target, args))
          seen.set(key, answer)
        }
        return answer
      }
    },
  })
}

type Db = any
type Schema = typeof pgSchema | typeof sqliteSchema | typeof mysqlSchema
type Read = (db: Db, s: Schema) => Promise<unknown>
const preparedById = new WeakMap<object, { execute(values: object): Promise<unknown> }>()

/** The bench's Drizzle queries, by name (profile.ts runs them too). */
export const QUERIES: Record<string, Read> = {
  'select by id': async (db, s) => db.select().from(s.posts).where(eq(s.posts.id, 42)),
  'select 20 rows join author': async (db, s) =>
    db
      .select({ post: s.posts, author: s.users })
      .from(s.posts)
      .innerJoin(s.users, eq(s.posts.authorId, s.users.id))
      .where(eq(s.posts.published, true))
      .orderBy(desc(s.posts.createdAt))
      .limit(20),
  // prepared once per db (as an app prepares it once), executed per call
  'select by id, prepared': async (db, s) => {
    let p = preparedById.get(db)
    if (!p) {
      p = db
        .select()
        .from(s.posts)
        .where(eq(s.posts.id, sql.placeholder('id')))
        .prepare('bench_by_id')
      preparedById.set(db, p!)
    }
    return p!.execute({ id: 42 })
  },
  'relational findMany 20 with author': async (db, s) =>
    db.query.posts.findMany({
      where: eq(s.posts.published, true),
      with: { author: true },
      orderBy: desc(s.posts.createdAt),
      limit: 20,
    }),
}
export const JOIN = 'select 20 rows join author'
const RELATIONAL = 'relational findMany 20 with author'

export async function drizzleSuite(redis: BenchRedis): Promise<SuiteResult> {
  const result: SuiteResult = { samples: [], targets: [], facts: {} }
  for (const provider of PROVIDERS) {
    const r = await onProvider(provider, redis)
    result.samples.push(...r.samples)
    result.targets.push(...r.targets)
    Object.assign(result.facts, r.facts)
  }
  result.notes = [
    FLOOR_TARGETS_NOTE,
    HIT_METHOD,
    MISS_METHOD,
    NEAR_NOTE,
    '"Drizzle cache" is Drizzle\'s built-in cache with a Map-backed `Cache` subclass (strategy `all`, get/put/onMutate as in Drizzle\'s docs). "JSON copy" stores JSON text and parses it per hit, as the docs\' Keyv store and querycache do; "by reference" returns the stored object itself. "Map store" is querycache over the same kind of store (`createQueryCache({ store: new Map() })`).',
    '"floor" is a plain Drizzle db whose driver client answers each statement from memory after its first run: Drizzle still builds the SQL and maps the rows, which no cache behind Drizzle\'s query builder can avoid.',
  ]
  return result
}

async function onProvider(provider: Provider, redis: BenchRedis): Promise<SuiteResult> {
  const P = short(provider)
  const db = await seededDatabase(provider)
  const s: Schema =
    provider === 'sqlite' ? sqliteSchema : provider === 'postgresql' ? pgSchema : mysqlSchema
  const libsql = provider === 'sqlite' ? createClient({ url: db.url }) : undefined
  const pool = provider === 'postgresql' ? new pg.Pool({ connectionString: db.url }) : undefined
  const mysqlPool =
    provider === 'mysql' ? mysql.createPool({ uri: db.url, connectionLimit: 8 }) : undefined
  const make = (cache?: Cache, client: 'real' | 'memory' = 'real'): Db =>
    libsql
      ? libsqlDrizzle({
          client: client === 'real' ? libsql : answeringFromMemory(libsql),
          schema: sqliteSchema,
          ...(cache ? { cache } : {}),
        })
      : mysqlPool
        ? mysqlDrizzle({
            client: client === 'real' ? mysqlPool : answeringFromMemory(mysqlPool),
            schema: mysqlSchema,
            // MariaDB has no LATERAL, which Drizzle's default relational queries use
            mode: 'planetscale',
            ...(cache ? { cache } : {}),
          })
        : pgDrizzle({
            client: client === 'real' ? pool! : answeringFromMemory(pool!),
            schema: pgSchema,
            ...(cache ? { cache } : {}),
          })
  const caches: QueryCache[] = []
  const ours = (cache: QueryCache): Db & { $cache: QueryCache } => {
    caches.push(cache)
    return withQueryCache(make(), { cache, name: `bench-${provider}` }) as Db
  }
  const plain = make()
  const memory = ours(createQueryCache({ store: memoryStore(), ttl: null }))
  const onMap = ours(createQueryCache({ store: new Map(), ttl: null }))
  const onRedis = ours(
    createQueryCache({
      store: redis.adapter(),
      namespace: `bench-drizzle-${provider}`,
      ttl: null,
      timeoutMs: 1000,
    }),
  )
  const near = ours(await nearCacheOn(redis, `bench-drizzle-${provider}-near`))
  const memoryMiss = ours(createQueryCache({ store: memoryStore(), ttl: null }))
  const redisMiss = ours(
    createQueryCache({
      store: redis.adapter(),
      namespace: `bench-drizzle-${provider}-miss`,
      ttl: null,
      timeoutMs: 1000,
    }),
  )
  const drizzleCopy = new MapCache(true)
  const drizzleRef = new MapCache(false)
  const builtinCopy = make(drizzleCopy)
  const builtinRef = make(drizzleRef)
  const floor = make(undefined, 'memory')

  const samples: Sample[] = []
  const targets: Target[] = []
  const facts: Record<string, string | number> = {}
  try {
    for (const [name, read] of Object.entries(QUERIES)) {
      const group = `Drizzle ${P}: ${name}`
      let uncachedResult: unknown
      try {
        uncachedResult = await read(plain, s)
      } catch (error) {
        if (provider !== 'mysql') throw error
        // MariaDB allows no outer reference in a derived table, which Drizzle's relational
        // queries use for one() relations in either mode: plain Drizzle fails, nothing to compare
        facts[`${P} ${name}`] =
          `not measured: plain Drizzle fails here (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`
        continue
      }
      const before = { copy: drizzleCopy.size, ref: drizzleRef.size }
      for (const d of [memory, onMap, onRedis, near, builtinCopy, builtinRef, floor]) {
        await read(d, s)
        if (!sameData(await read(d, s), uncachedResult))
          throw new Error(`${group}: a cached result differs from the uncached result`)
      }
      // Drizzle's cache does not cache every read (its relational queries go to the database)
      const drizzleCaches = drizzleCopy.size > before.copy && drizzleRef.size > before.ref
      const tasks: Parameters<typeof sideBySide>[1] = {
        uncached: () => read(plain, s),
        'querycache hit (memory store)': () => read(memory, s),
        'querycache hit (Map store)': () => read(onMap, s),
        'querycache hit (redis)': () => read(onRedis, s),
        'querycache hit (near cache, Redis behind)': () => read(near, s),
        'floor: Drizzle, driver answering from memory': () => read(floor, s),
      }
      if (drizzleCaches) {
        tasks['Drizzle cache hit (Map, JSON copy)'] = () => read(builtinCopy, s)
        tasks['Drizzle cache hit (Map, by reference)'] = () => read(builtinRef, s)
      }
      // the very string querycache stores for this result (entry head + payload)
      const probe = memoryStore()
      const probeCache = createQueryCache({ store: probe, ttl: null })
      await read(ours(probeCache), s)
      await probeCache.flush() // the entry is written behind the read
      const json = await storedEntry(probe)
      const payloadBytes = Buffer.byteLength(json)
      const redisGet = await redisGetOf(redis, json)
      const floorWithGet = async () => {
        await redisGet()
        return read(floor, s)
      }
      tasks['floor + Redis GET of the entry'] = floorWithGet
      if (name === JOIN) {
        const limit = new Map([['k', json]])
        tasks['Map.get + JSON.parse of the entry'] = () => JSON.parse(limit.get('k')!)
      }
      const watched = {
        hits: [memory.$cache, onMap.$cache, onRedis.$cache, near.$cache],
        misses: [memoryMiss.$cache, redisMiss.$cache],
      }
      const counted = hitsAndMisses(watched)
      const sample = await fromNearMemory(
        near.$cache,
        () => read(near, s),
        () => sideBySide(group, tasks),
      )
      // the hit targets, call by call next to what they are held against (see HIT_METHOD)
      const hits = await floorFigures(`Drizzle ${P}`, name, group, {
        hit: () => read(memory, s),
        floor: () => read(floor, s),
        redisHit: () => read(onRedis, s),
        floorWithGet,
        extra: drizzleCaches
          ? {
              'querycache hit (Map store)': () => read(onMap, s),
              'Drizzle cache hit (Map, JSON copy)': () => read(builtinCopy, s),
            }
          : {},
      })
      const missGroup = `${group}, misses`
      const misses = await interleaved(missGroup, {
        uncached: { fn: () => read(plain, s) },
        'querycache miss (memory store)': {
          fn: () => read(memoryMiss, s),
          beforeEach: () => memoryMiss.$cache.invalidateModels(['posts']),
        },
        'querycache miss (redis)': {
          fn: () => read(redisMiss, s),
          beforeEach: () => redisMiss.$cache.invalidateModels(['posts']),
        },
        'one Redis GET of the entry': { fn: () => redisGet() },
      })
      const after = hitsAndMisses(watched)
      if (after.hitMisses !== counted.hitMisses)
        throw new Error(`${group}: ${after.hitMisses - counted.hitMisses} misses in the hit tasks`)
      if (after.missHits !== counted.missHits)
        throw new Error(`${group}: ${after.missHits - counted.missHits} hits in the miss task`)
      samples.push(...sample, ...hits.samples, ...misses)

      const uncached = find(sample, group, 'uncached')
      const hit = find(sample, group, 'querycache hit (memory store)')
      const mapHit = find(sample, group, 'querycache hit (Map store)')
      const floorSample = find(sample, group, 'floor: Drizzle, driver answering from memory')
      const redisHit = find(sample, group, 'querycache hit (redis)')
      targets.push(...hits.targets)
      facts[`${P} ${name}: payload bytes`] = payloadBytes
      const miss = missTargets(`Drizzle ${P}`, name, {
        uncached: find(misses, missGroup, 'uncached'),
        memoryMiss: find(misses, missGroup, 'querycache miss (memory store)'),
        redisMiss: find(misses, missGroup, 'querycache miss (redis)'),
        redisGet: find(misses, missGroup, 'one Redis GET of the entry'),
      })
      const missPct = miss.missPct
      facts[`${P} ${name}: memory hit speedup`] = round(speedup(hit, uncached))
      facts[`${P} ${name}: redis hit speedup`] = round(speedup(redisHit, uncached))
      facts[`${P} ${name}: memory miss overhead (%)`] = round(missPct)
      const nearFigures = await nearCacheFigures({
        orm: 'Drizzle',
        provider: P,
        query: name,
        group,
        facts,
        cache: near.$cache,
        near: () => read(near, s),
        memory: () => read(memory, s),
        sideBySide: {
          nearHit: find(sample, group, 'querycache hit (near cache, Redis behind)'),
          uncached,
          redisHit: find(sample, group, 'querycache hit (redis)'),
        },
      })
      samples.push(...nearFigures.samples)
      targets.push(nearFigures.target)
      facts[`${P} ${name}: best speedup any cache behind Drizzle could reach (uncached / floor)`] =
        round(speedup(floorSample, uncached))
      facts[`${P} ${name}: Drizzle's own share of a querycache memory hit (floor / hit, %)`] =
        round((floorSample.p50 / hit.p50) * 100, 1)
      facts[`${P} ${name}: redis miss overhead (Redis round trips)`] = round(miss.redisTrips, 2)
      if (provider === 'postgresql') targets.push(...miss.targets)
      if (drizzleCaches) {
        const copy = find(sample, group, 'Drizzle cache hit (Map, JSON copy)')
        const ref = find(sample, group, 'Drizzle cache hit (Map, by reference)')
        targets.push(
          target(
            `Drizzle ${P}: querycache hit vs Drizzle cache hit, same store (Map, JSON copy), ${name}`,
            speedup(
              find(hits.samples, hits.group, 'querycache hit (Map store)'),
              find(hits.samples, hits.group, 'Drizzle cache hit (Map, JSON copy)'),
            ),
            3,
          ),
        )
        facts[`${P} ${name}: querycache (Map) vs Drizzle cache (Map, by reference)`] = round(
          speedup(mapHit, ref),
        )
        facts[`${P} ${name}: querycache (memory store) vs Drizzle cache (Map, JSON copy)`] = round(
          speedup(hit, copy),
        )
      } else {
        facts[`${P} ${name}: Drizzle cache`] = 'not cached by Drizzle (no entry was put)'
      }
      if (name === RELATIONAL && drizzleCaches)
        facts[`${P} ${name}: Drizzle cache`] = 'cached by Drizzle'
      if (name === JOIN) {
        const limit = find(sample, group, 'Map.get + JSON.parse of the entry')
        facts[`${P} ${name}: memory hit vs Map.get + JSON.parse of its entry`] = round(
          hit.p50 / limit.p50,
        )
        if (provider === 'postgresql')
          targets.push(
            target(
              `Drizzle ${P}: Redis hit vs uncached join (${name})`,
              speedup(find(sample, group, 'querycache hit (redis)'), uncached),
              3,
            ),
          )
      }
    }
    return { samples, targets, facts }
  } finally {
    for (const c of caches) await c.close().catch(() => {})
    libsql?.close()
    await pool?.end().catch(() => {})
    await mysqlPool?.end().catch(() => {})
    await db.drop()
  }
}
