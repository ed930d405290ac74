import {
  ANY_TABLE,
  SQL_IDENTIFIER,
  SQL_QUALIFIED_NAME,
  splitSqlIdentifier,
  sqlReadings,
  sqlWrites,
  tableDependency,
  UNKNOWN_READS,
} from '@querycache/core/adapter'
import { Column, is, Param, Placeholder, SQL, Subquery, Table, View } from 'drizzle-orm'

/** Every read depends on it; a write whose targets cannot be told (raw SQL, DDL) invalidates it. */
export const ALL = ANY_TABLE
export { UNKNOWN_READS }

const SCHEMA = Symbol.for('drizzle:Schema')
const NAME = Symbol.for('drizzle:Name')
const ORIGINAL_NAME = Symbol.for('drizzle:OriginalName')
const VIEW_CONFIG = Symbol.for('drizzle:ViewBaseConfig')

export type DialectFamily = 'pg' | 'sqlite' | 'mysql' | 'other'

/**
 * Table names as models. Postgres keeps identifiers' case (quoted) and drops the default `public`
 * schema; SQLite and MySQL compare table names case-insensitively, so they are lower-cased there.
 */
export class TableNames {
  /** lower-cased bare name → model names known under it (from Table objects and the schema) */
  private readonly known = new Map<string, Set<string>>()
  private readonly seenTables = new WeakSet<object>()
  /** Called once for every table object seen for the first time. */
  onTable: ((table: Table) => void) | undefined

  /** MySQL: the connection's database, so `shop.users` on database `shop` is `users`. */
  currentSchema: string | undefined

  /** The SQL dialect (`postgresql`, `sqlite`, `mysql`; `other`: read every known way). */
  readonly dialect: string

  constructor(readonly family: DialectFamily) {
    this.dialect = family === 'pg' ? 'postgresql' : family
  }

  model(schema: string | undefined, name: string): string {
    return tableDependency(name, this.dialect, schema, this.currentSchema)
  }

  /** The model of a Drizzle table (an alias resolves to the table it aliases); registers it. */
  ofTable(table: Table): string {
    const t = table as unknown as Record<symbol, string | undefined>
    const name = t[ORIGINAL_NAME] ?? t[NAME] ?? ''
    const model = this.model(t[SCHEMA], name)
    this.register(name, model)
    if (!this.seenTables.has(table)) {
      this.seenTables.add(table)
      this.onTable?.(table)
    }
    return model
  }

  ofView(view: View): { model: string; query: SQL | undefined } {
    const c = (view as unknown as Record<symbol, any>)[VIEW_CONFIG] ?? {}
    const model = this.model(c.schema, c.originalName ?? c.name)
    this.register(c.originalName ?? c.name, model)
    return { model, query: c.isExisting ? undefined : c.query }
  }

  register(bareName: string, model: string): void {
    const key = bareName.toLowerCase()
    let set = this.known.get(key)
    if (!set) {
      set = new Set()
      this.known.set(key, set)
    }
    set.add(model)
  }

  /**
   * Models a (possibly qualified, possibly quoted) identifier written in SQL text may name.
   * Known tables match case-insensitively (over-invalidating a same-named table is harmless).
   */
  resolve(identifier: string): { models: string[]; known: boolean } {
    const parts = splitSqlIdentifier(identifier)
    const bare = parts[parts.length - 1]!
    const schema = parts.length > 1 ? parts[parts.length - 2]!.name : undefined
    const name = bare.quoted
      ? bare.name
      : this.family === 'pg'
        ? bare.name.toLowerCase()
        : bare.name
    const own = this.model(schema, name)
    const known = this.known.get(name.toLowerCase())
    if (!known) return { models: [own], known: false }
    const models = new Set<string>([own])
    // the unqualified table's model: `s.t` may be it, when `s` is the connection's current schema
    // (a search_path, a role default, `SET search_path`, `USE db`: not all visible from here)
    const unqualified = this.model(undefined, name).toLowerCase()
    for (const m of known) {
      // a schema-qualified identifier matches tables of that schema, and unqualified ones
      const lower = m.toLowerCase()
      if (schema === undefined || lower === own.toLowerCase() || lower === unqualified)
        models.add(m)
    }
    return { models: [...models], known: true }
  }

  isKnown(identifier: string): boolean {
    const parts = splitSqlIdentifier(identifier)
    return this.known.has(parts[parts.length - 1]!.name.toLowerCase())
  }
}

export interface ReadDependencies {
  models: Set<string>
  /** Some relation read could not be identified: depend on every write. */
  uncertain: boolean
}

/**
 * Walks a query's SQL tree and collects every table it reads: tables, columns' tables, views (and
 * what their definitions read), subqueries, CTEs, nested builders and `sql` fragments. Text written
 * by the user inside `sql` fragments is scanned for identifiers after FROM/JOIN too.
 */
export function readDependencies(root: unknown, names: TableNames): ReadDependencies {
  const models = new Set<string>()
  const aliases = new Set<string>()
  const open = new Set<object>()
  let skeleton = ''
  let uncertain = false

  const walk = (chunk: unknown): void => {
    if (chunk === null || chunk === undefined) return
    if (typeof chunk !== 'object' && typeof chunk !== 'function') {
      skeleton += ' ? '
      return
    }
    // a node met again inside itself (a cycle) is not walked twice; one met again elsewhere is
    // (Drizzle 1.0's relational queries reuse the same chunks in many places of one query)
    if (open.has(chunk as object)) {
      skeleton += ' \u0001 '
      return
    }
    open.add(chunk as object)
    try {
      visit(chunk as object)
    } finally {
      open.delete(chunk as object)
    }
  }

  const visit = (chunk: object): void => {
    if (Array.isArray(chunk)) {
      skeleton += ' ( '
      chunk.forEach((c, i) => {
        if (i > 0) skeleton += ' , '
        walk(c)
      })
      skeleton += ' ) '
      return
    }
    if (is(chunk, Table)) {
      models.add(names.ofTable(chunk))
      skeleton += ' \u0001 '
      return
    }
    if (is(chunk, View)) {
      const { model, query } = names.ofView(chunk)
      models.add(model)
      if (query) walk(query)
      else uncertain = true // an existing view: its definition is unknown here
      skeleton += ' \u0001 '
      return
    }
    if (is(chunk, Column)) {
      const table = (chunk as Column).table as unknown
      if (table && is(table, Table)) models.add(names.ofTable(table))
      skeleton += ' \u0002 '
      return
    }
    if (is(chunk, Subquery)) {
      const sq = (chunk as unknown as { _: { sql: unknown; alias: string } })._
      if (typeof sq.alias === 'string') aliases.add(sq.alias.toLowerCase())
      skeleton += ' \u0001 '
      walk(sq.sql)
      return
    }
    if (is(chunk, Param)) {
      skeleton += ' ? '
      const value = (chunk as Param).value
      // a Param can wrap a builder or SQL (Drizzle renders those inline)
      if (value && typeof value === 'object' && !isPlainData(value)) walk(value)
      return
    }
    if (is(chunk, Placeholder)) {
      skeleton += ' ? '
      return
    }
    if (is(chunk, SQL.Aliased)) {
      walk((chunk as SQL.Aliased).sql)
      return
    }
    if (is(chunk, SQL)) {
      for (const c of (chunk as SQL).queryChunks) walk(c)
      return
    }
    const record = chunk as Record<string, unknown>
    const kind = entityName(chunk)
    if (kind === 'StringChunk') {
      const value = record.value
      skeleton += Array.isArray(value) ? value.join('') : String(value ?? '')
      return
    }
    if (kind === 'Name') {
      skeleton += ` "${String(record.value).replace(/"/g, '""')}" `
      return
    }
    if (typeof record.getSQL === 'function') {
      walk((record.getSQL as () => unknown).call(chunk))
      return
    }
    // Anything else is data rendered as a parameter (Date, Buffer, JSON values, …)
  }

  walk(root)
  for (const identifier of relationsNamedIn(skeleton, names.dialect)) {
    const bare = splitSqlIdentifier(identifier)
    if (bare.length === 1 && aliases.has(bare[0]!.name.toLowerCase())) continue
    const { models: found, known } = names.resolve(identifier)
    for (const m of found) models.add(m)
    if (!known) uncertain = true
  }
  return { models, uncertain }
}

function isPlainData(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof Uint8Array ||
    value instanceof ArrayBuffer ||
    Object.getPrototypeOf(value) === Object.prototype ||
    (Array.isArray(value) && !value.some((v) => v && typeof v === 'object' && !isPlainData(v)))
  )
}

function entityName(value: object): string | undefined {
  const ctor = (value as { constructor?: unknown }).constructor as
    | Record<symbol, unknown>
    | undefined
  const kind = ctor?.[Symbol.for('drizzle:entityKind')]
  return typeof kind === 'string' ? kind : undefined
}

const IDENT = SQL_IDENTIFIER
const QUALIFIED = SQL_QUALIFIED_NAME

/**
 * Identifiers of relations named after FROM / JOIN (and in comma lists after FROM) in SQL text,
 * outside literals and comments, in any of the dialect's readings.
 */
function relationsNamedIn(text: string, dialect: string): string[] {
  const out: string[] = []
  for (const statements of sqlReadings(text, dialect))
    out.push(...relationsNamedInReading(statements.join(';')))
  return [...new Set(out)]
}

function relationsNamedInReading(cleaned: string): string[] {
  const out: string[] = []
  const re = new RegExp(String.raw`\b(?:from|join)\s+(${QUALIFIED})(\s*\()?`, 'gi')
  for (const m of cleaned.matchAll(re)) {
    if (m[2]) continue // a function call: generate_series(...), unnest(...)
    const id = m[1]!
    if (/^(?:select|lateral|only|unnest|values|with)$/i.test(id)) continue
    out.push(id)
    // `from a, b` / `from a x, b y`
    let rest = cleaned.slice((m.index ?? 0) + m[0].length)
    const more = new RegExp(
      String.raw`^\s*(?:(?:as\s+)?(?!(?:where|join|on|inner|left|right|full|cross|group|order|limit|union|natural)\b)${IDENT})?\s*,\s*(${QUALIFIED})(\s*\()?`,
      'i',
    )
    for (let n = more.exec(rest); n; n = more.exec(rest)) {
      if (!n[2]) out.push(n[1]!)
      rest = rest.slice(n[0].length)
    }
  }
  return out
}

export interface WriteTargets {
  models: Set<string>
  /** The statement may change data in ways not attributable to named tables (DDL, CALL, DO, …). */
  unknown: boolean
  /** The statement writes at all. */
  writes: boolean
}

/** The tables (as models) a SQL statement writes; see core's `sqlWrites`. */
export function writeTargets(sqlText: string, names: TableNames): WriteTargets {
  const found = sqlWrites(sqlText, names.dialect)
  const models = new Set<string>()
  for (const table of found.tables) for (const m of names.resolve(table).models) models.add(m)
  return { models, unknown: found.unknown, writes: found.writes }
}
