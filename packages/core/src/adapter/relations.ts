/**
 * The one relation graph of the adapters: which tables (or models) a write to one of them also
 * changes, through the database's foreign-key actions and through dependencies the user declared
 * (triggers, denormalised copies). Nodes are the adapter's own names; the graph never guesses.
 */

/** What a foreign key does when the row it references is deleted or has its key changed. */
export type ReferentialAction = 'cascade' | 'set null' | 'set default' | 'restrict' | 'no action'

export interface ForeignKey {
  /** The node whose rows hold the foreign-key columns. */
  holder: string
  /** The node those columns reference. */
  referenced: string
  /** The referenced columns; empty or absent: unknown, so any key change counts. */
  references?: readonly string[] | undefined
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
}

/** How rows of a node change: deleted, or a key other rows reference updated. */
export type RowChange = 'delete' | 'update'

const reacts = (action: ReferentialAction) => action !== 'restrict' && action !== 'no action'

export class RelationGraph {
  private readonly keys: ForeignKey[] = []
  /** Declared: a write to the key also changes every node in its set. */
  private readonly declared = new Map<string, Set<string>>()
  private readonly closures = new Map<string, string[]>()
  /** Counts the changes to the graph: what was derived from an older version is out of date. */
  version = 0

  addForeignKey(key: ForeignKey): void {
    this.keys.push(key)
    this.closures.clear()
    this.version++
  }

  /** A write to `from` also changes `to` (a trigger, a cascade the schema does not show). */
  addDependency(from: string, to: string): void {
    let set = this.declared.get(from)
    if (!set) {
      set = new Set()
      this.declared.set(from, set)
    }
    set.add(to)
    this.closures.clear()
    this.version++
  }

  get foreignKeys(): readonly ForeignKey[] {
    return this.keys
  }

  /**
   * Nodes whose rows the database changes when rows of `node` are deleted (`delete`) or have a
   * referenced key updated (`update`), following referential actions transitively: CASCADE on
   * delete deletes the holder's rows, SET NULL / SET DEFAULT and ON UPDATE CASCADE change their
   * keys. Includes `node` itself.
   */
  affectedBy(node: string, change: RowChange): string[] {
    const id = `${change}\u0000${node}`
    let result = this.closures.get(id)
    if (!result) {
      const seen = new Set<string>([`${change}\u0000${node}`])
      const out = new Set<string>([node])
      const visit = (n: string, c: RowChange) => {
        for (const k of this.keys) {
          if (k.referenced !== n) continue
          const action = c === 'delete' ? k.onDelete : k.onUpdate
          if (!reacts(action)) continue
          const next: RowChange = action === 'cascade' && c === 'delete' ? 'delete' : 'update'
          const visitId = `${next}\u0000${k.holder}`
          if (seen.has(visitId)) continue
          seen.add(visitId)
          out.add(k.holder)
          visit(k.holder, next)
        }
      }
      visit(node, change)
      result = [...out]
      this.closures.set(id, result)
    }
    return result
  }

  /** Every node holding a foreign key to `node`, transitively (what `TRUNCATE … CASCADE` empties). */
  referencing(node: string): string[] {
    const seen = new Set<string>([node])
    const stack = [node]
    while (stack.length > 0) {
      const n = stack.pop()!
      for (const k of this.keys) {
        if (k.referenced !== n || seen.has(k.holder)) continue
        seen.add(k.holder)
        stack.push(k.holder)
      }
    }
    return [...seen]
  }

  /** Whether writing `columns` of `node` may change a key that other rows reference. */
  changesReferencedKey(node: string, columns: Iterable<string>): boolean {
    const referenced = new Set<string>()
    for (const k of this.keys) {
      if (k.referenced !== node) continue
      if (!k.references || k.references.length === 0) return true
      for (const r of k.references) referenced.add(r)
    }
    for (const c of columns) if (referenced.has(c)) return true
    return false
  }

  /** Nodes a write to `node` also changes through declared dependencies, transitively (without `node`). */
  declaredFrom(node: string): string[] {
    return [...this.walk([node], (n) => this.declared.get(n) ?? [])].filter((n) => n !== node)
  }

  /**
   * Nodes whose deletes or key updates change rows of `nodes` through foreign-key actions,
   * transitively. A read depends on their deletion tokens, so a writer that does not know this
   * node's foreign keys (another service, another ORM) still invalidates it.
   */
  reactingTo(nodes: Iterable<string>): Set<string> {
    return this.walk(nodes, (n) =>
      this.keys
        .filter((k) => k.holder === n && (reacts(k.onDelete) || reacts(k.onUpdate)))
        .map((k) => k.referenced),
    )
  }

  /** Nodes whose writes change `nodes` through declared dependencies, transitively. */
  declaredInto(nodes: Iterable<string>): Set<string> {
    return this.walk(nodes, (n) => {
      const out: string[] = []
      for (const [from, to] of this.declared) if (to.has(n)) out.push(from)
      return out
    })
  }

  /** What `next` reaches from `start`, transitively, without the start nodes themselves. */
  private walk(start: Iterable<string>, next: (node: string) => Iterable<string>): Set<string> {
    const out = new Set<string>()
    const stack = [...start]
    while (stack.length > 0) {
      const n = stack.pop()!
      for (const m of next(n)) {
        if (out.has(m)) continue
        out.add(m)
        stack.push(m)
      }
    }
    return out
  }
}
