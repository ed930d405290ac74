/**
 * What a driver returned, reduced to data the cache codec can carry: arrays (a driver's row
 * objects and array subclasses become plain arrays), plain objects, and the scalar types drivers
 * produce (string, number, bigint, boolean, null, Date, Buffer/Uint8Array). Only the parts Drizzle
 * reads after the query are kept: for a `pg` result that is `rows`.
 */
export function toPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date || value instanceof Uint8Array) return value
  if (value instanceof ArrayBuffer) return Buffer.from(value)
  if (Array.isArray(value)) {
    // mysql2: [rows, fields] — Drizzle reads only rows
    if (
      value.length === 2 &&
      Array.isArray(value[0]) &&
      Array.isArray(value[1]) &&
      value[1].length > 0 &&
      value[1].every((f) => f && typeof f === 'object' && 'columnType' in f)
    ) {
      return [toPlain(value[0]), []]
    }
    const out = new Array(value.length)
    for (let i = 0; i < value.length; i++) out[i] = toPlain(value[i])
    return out
  }
  // array-like driver rows (libsql's Row: indices and length are non-enumerable own properties)
  const length = Object.getOwnPropertyDescriptor(value, 'length')
  if (length && !length.enumerable && typeof length.value === 'number')
    return toPlain(Array.prototype.slice.call(value))
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value))
      out[key] = toPlain((value as Record<string, unknown>)[key])
    return out
  }
  const record = value as Record<string, unknown>
  // pg's Result, libsql's ResultSet: only rows are read after a query with a result mapper
  if (Array.isArray(record.rows)) return { rows: toPlain(record.rows) }
  return value
}
