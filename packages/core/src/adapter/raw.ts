import type { WriteEffect } from './dependencies.js'
import { sqlWrites } from './sql.js'

/**
 * The one rule for raw SQL, for every adapter: a statement the reader proves read-only changes
 * nothing (`null`); a write whose every target resolves to known nodes changes those (rows may be
 * deleted or keys changed, so foreign-key actions follow); anything else — DDL, procedure calls,
 * a write whose tables cannot all be named — changes everything (`undefined`).
 *
 * `resolve` maps an identifier as written (`"public"."Post"`, `` `shop`.`users` ``) to the
 * adapter's nodes, or `undefined` when it names nothing the adapter can vouch for.
 */
export function rawWriteEffect(
  sqlText: string,
  resolve: (identifier: string) => readonly string[] | undefined,
  /** How the text is read (`postgresql`, `mysql`, `sqlite`…); unknown: every known way. */
  dialect?: string,
): WriteEffect | undefined | null {
  const found = sqlWrites(sqlText, dialect)
  if (found.unknown) return undefined
  if (!found.writes) return found.readOnly ? null : undefined
  const nodes = new Set<string>()
  const emptied = new Set<string>()
  const truncated = new Set(found.truncateCascades ? found.truncated : [])
  for (const table of found.tables) {
    const resolved = resolve(table)
    if (resolved === undefined || resolved.length === 0) return undefined
    for (const n of resolved) {
      nodes.add(n)
      if (truncated.has(table)) emptied.add(n)
    }
  }
  return { written: nodes, deleted: nodes, keyChanged: nodes, emptied }
}
