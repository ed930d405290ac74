// Reading Drizzle's internals: entity kinds, foreign keys, key columns, connection settings.
import type { Table } from 'drizzle-orm'

export function entityKind(value: unknown): string | undefined {
  const ctor = (value as { constructor?: Record<symbol, unknown> } | null)?.constructor
  const kind = ctor?.[Symbol.for('drizzle:entityKind')]
  return typeof kind === 'string' ? kind : undefined
}

export interface ForeignKeyLike {
  reference(): { foreignTable: Table }
  onDelete?: string | undefined
  onUpdate?: string | undefined
}

/**
 * Whether an update builder's `set` may change a column other rows can reference: a primary or
 * unique column, or any column named in the table's extra config (composite keys, unique
 * constraints and indexes — over-approximated), or one with `$onUpdate`. Unknown: true.
 */
export function setsKeyColumn(table: Table, set: unknown): boolean {
  if (!set || typeof set !== 'object') return true
  try {
    const t = table as unknown as Record<symbol, unknown>
    const columns = t[Symbol.for('drizzle:Columns')] as
      | Record<string, Record<string, any>>
      | undefined
    if (!columns) return true
    const keys = new Set<string>()
    for (const [key, column] of Object.entries(columns)) {
      if (column.primary || column.isUnique || column.onUpdateFn) keys.add(key)
    }
    const extra = t[Symbol.for('drizzle:ExtraConfigBuilder')]
    const extraColumns = t[Symbol.for('drizzle:ExtraConfigColumns')]
    if (typeof extra === 'function') {
      const built = extra(extraColumns ?? columns)
      const list = Array.isArray(built) ? built : Object.values(built ?? {})
      const byColumn = new Map(Object.entries(columns).map(([key, column]) => [column, key]))
      for (const item of list as Record<string, any>[]) {
        for (const c of [...(item?.columns ?? []), ...(item?.config?.columns ?? [])]) {
          const key =
            byColumn.get(c) ?? Object.keys(columns).find((k) => columns[k]?.name === c?.name)
          if (key) keys.add(key)
        }
      }
    }
    return Object.keys(set).some((key) => keys.has(key))
  } catch {
    return true
  }
}

export function foreignKeysOf(table: Table): ForeignKeyLike[] {
  const t = table as unknown as Record<symbol, unknown>
  const out: ForeignKeyLike[] = []
  for (const sym of Object.getOwnPropertySymbols(t)) {
    const desc = sym.description ?? ''
    if (/InlineForeignKeys$/.test(desc) && Array.isArray(t[sym]))
      out.push(...(t[sym] as ForeignKeyLike[]))
  }
  // foreign keys declared in the table's extra config: (t) => [foreignKey({...})]
  const extra = t[Symbol.for('drizzle:ExtraConfigBuilder')]
  const columns = t[Symbol.for('drizzle:ExtraConfigColumns')]
  if (typeof extra === 'function' && columns) {
    try {
      const built = extra(columns)
      const list = Array.isArray(built) ? built : Object.values(built ?? {})
      for (const b of list) {
        if (b && typeof b === 'object' && typeof (b as any).reference === 'function') {
          const r = (b as any).reference()
          out.push({
            reference: () => ({ foreignTable: r.foreignTable }),
            onDelete: (b as any)._onDelete,
            onUpdate: (b as any)._onUpdate,
          })
        }
      }
    } catch {
      // not ours to fail on
    }
  }
  return out
}

export function deriveName(session: Record<string, any> | undefined): string {
  const client = session?.client
  if (!client || typeof client !== 'object') return 'default'
  try {
    // node-postgres Pool / Client
    const o = client.options ?? client.connectionParameters
    if (o && typeof o === 'object') {
      if (typeof o.connectionString === 'string') {
        const u = new URL(o.connectionString)
        return `${u.hostname}:${u.port || '5432'}/${u.pathname.replace(/^\//, '')}`
      }
      if (o.database || o.host)
        return `${o.host ?? 'localhost'}:${o.port ?? ''}/${o.database ?? o.user ?? ''}`
    }
    // mysql2
    const c =
      client.config?.connectionConfig ?? client.pool?.config?.connectionConfig ?? client.config
    if (c && typeof c === 'object' && (c.database || c.host))
      return `${c.host ?? 'localhost'}:${c.port ?? ''}/${c.database ?? ''}`
  } catch {
    // fall through
  }
  return 'default'
}

/** The database a mysql2 client (pool or connection) works in, when its settings say. */
export function currentDatabase(session: Record<string, any> | undefined): string | undefined {
  const client = session?.client
  try {
    const c =
      client?.config?.connectionConfig ?? client?.pool?.config?.connectionConfig ?? client?.config
    return typeof c?.database === 'string' && c.database !== '' ? c.database : undefined
  } catch {
    return undefined
  }
}

/** Anything but a plain INSERT may delete rows or change keys (an upsert may update them). */
export function mayDelete(sqlText: string): boolean {
  return !/^\s*insert\b/i.test(sqlText) || /\bon\s+(?:conflict|duplicate\s+key)\b/i.test(sqlText)
}
