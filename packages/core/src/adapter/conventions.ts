/**
 * Dependency names every adapter uses the same way, so that processes using different ORMs on
 * one store (a Prisma service and a Drizzle service on the same database) see each other's
 * writes. Adapters name tables as the database does (lower-cased on SQLite and MySQL, as-is on
 * PostgreSQL, `schema.table` outside the default schema), next to any names of their own.
 */

/** Every adapter read depends on it; a write whose tables cannot be told invalidates it. */
export const ANY_TABLE = '*'

/** Reads whose tables cannot all be told depend on it; every adapter write invalidates it. */
export const UNKNOWN_READS = '*unknown'

/** A table's dependency name, as both adapters write it. */
export function tableDependency(
  table: string,
  dialect: 'postgresql' | 'sqlite' | 'mysql' | (string & {}),
  schema?: string | undefined,
  /** The connection's current database (MySQL) or schema: a qualifier naming it is the default. */
  currentSchema?: string | undefined,
): string {
  const isDefault =
    schema === undefined ||
    (dialect === 'postgresql' && schema === 'public') ||
    (dialect === 'sqlite' && schema.toLowerCase() === 'main') ||
    (currentSchema !== undefined && schema.toLowerCase() === currentSchema.toLowerCase())
  const full = isDefault ? table : `${schema}.${table}`
  return dialect === 'sqlite' || dialect === 'mysql' ? full.toLowerCase() : full
}

/**
 * The dependency a read takes on a table whose deletes (or key updates) change its rows through
 * foreign-key actions — e.g. a read of `comments` on `posts` (ON DELETE CASCADE). Writes that
 * may delete rows or change keys of `table` invalidate it; inserts do not. It lets a process
 * that never saw the referencing table (another service, another ORM) still invalidate reads
 * of it, without every insert into `posts` invalidating every read of `comments`.
 */
export function tableDeletion(tableDependencyName: string): string {
  return `${tableDependencyName}:deleted`
}
