import { ANY_TABLE, tableDeletion, UNKNOWN_READS } from './conventions.js'
import type { RelationGraph } from './relations.js'

/**
 * What a write changed, in the adapter's node names (tables, or models). `undefined` where a
 * write effect is expected means "cannot be told": it invalidates everything.
 */
export interface WriteEffect {
  /** Nodes whose rows may be inserted or updated. */
  written?: Iterable<string> | undefined
  /** Nodes whose rows may be deleted (foreign-key ON DELETE actions react). */
  deleted?: Iterable<string> | undefined
  /** Nodes whose referenced key columns may change (ON UPDATE actions react). */
  keyChanged?: Iterable<string> | undefined
  /** `TRUNCATE … CASCADE`: these and every node referencing them, whatever the action, are emptied. */
  emptied?: Iterable<string> | undefined
}

/** How an adapter's nodes are spelled as dependencies. Default: a node is a table name. */
export interface DependencyNaming {
  /** Every dependency name of `node`, its own first: e.g. a Prisma model, its table, its join tables. */
  names(node: string): readonly string[]
  /** The table name (as core's `tableDependency` spells it) whose deletion token stands for `node`. */
  table(node: string): string
}

const tableNaming: DependencyNaming = { names: (n) => [n], table: (n) => n }

/**
 * The one dependency builder of the adapters. A read depends on its nodes, the nodes whose
 * declared dependencies reach them, the deletion tokens of the nodes whose foreign-key actions
 * reach them, and `ANY_TABLE`; a write invalidates what it changed, everything foreign keys and
 * declared dependencies carry that change to, the deletion tokens of whatever may lose rows or
 * keys, and `UNKNOWN_READS`.
 */
export class Dependencies {
  constructor(
    readonly graph: RelationGraph,
    private readonly naming: DependencyNaming = tableNaming,
  ) {}

  /** Reads' dependencies by their nodes, made under `madeAt` of the graph (see read). */
  private readonly made = new Map<string, readonly string[]>()
  private madeAt = -1

  /**
   * The dependencies of a read of `nodes` (the first node first: stats count the read under it).
   * Remembered, so a query read again gets the very same (frozen) array, which the cache's
   * per-read work is keyed by; forgotten whenever the relation graph changes.
   */
  read(nodes: Iterable<string>, options: { uncertain?: boolean } = {}): string[] {
    const own = [...nodes]
    if (this.madeAt !== this.graph.version || this.made.size >= 1000) {
      this.made.clear()
      this.madeAt = this.graph.version
    }
    const id = `${options.uncertain ? '?' : '='}${own.join('\u0000')}`
    const known = this.made.get(id)
    if (known) return known as string[]
    const made = Object.freeze(this.make(own, options.uncertain === true))
    this.made.set(id, made)
    return made as string[]
  }

  private make(own: string[], uncertain: boolean): string[] {
    const out = new Set<string>()
    for (const n of own) for (const name of this.naming.names(n)) out.add(name)
    for (const n of this.graph.declaredInto(own))
      for (const name of this.naming.names(n)) out.add(name)
    for (const n of this.graph.reactingTo(own)) out.add(tableDeletion(this.naming.table(n)))
    if (uncertain) out.add(UNKNOWN_READS)
    out.add(ANY_TABLE)
    return [...out]
  }

  /** What a write invalidates; `undefined` (its effect cannot be told) invalidates every read. */
  write(effect: WriteEffect | undefined): string[] {
    if (effect === undefined) return [ANY_TABLE, UNKNOWN_READS]
    const { written, deleting } = this.expand(effect)
    if (written.size === 0) return []
    const out = new Set<string>()
    for (const n of written) for (const name of this.naming.names(n)) out.add(name)
    for (const n of deleting) out.add(tableDeletion(this.naming.table(n)))
    out.add(UNKNOWN_READS)
    return [...out]
  }

  /** The nodes an effect changes once foreign keys and declared dependencies carry it along. */
  expand(effect: WriteEffect): { written: Set<string>; deleting: Set<string> } {
    const written = new Set<string>()
    /** nodes that may lose rows or change keys: their deletion tokens are invalidated */
    const deleting = new Set<string>()
    const queue: [string, RowChange | 'write'][] = []
    const seen = new Set<string>()
    const push = (node: string, change: RowChange | 'write') => {
      const id = `${change}\u0000${node}`
      if (seen.has(id)) return
      seen.add(id)
      queue.push([node, change])
    }
    for (const n of effect.written ?? []) push(n, 'write')
    for (const n of effect.deleted ?? []) push(n, 'delete')
    for (const n of effect.keyChanged ?? []) push(n, 'update')
    for (const n of effect.emptied ?? [])
      for (const m of this.graph.referencing(n)) push(m, 'delete')
    while (queue.length > 0) {
      const [node, change] = queue.pop()!
      written.add(node)
      if (change !== 'write') {
        for (const m of this.graph.affectedBy(node, change)) {
          written.add(m)
          deleting.add(m)
          // what a foreign-key action changed carries on through declared dependencies
          if (m !== node) for (const d of this.graph.declaredFrom(m)) push(d, change)
        }
      }
      // a declared dependency says "also changes", not how: it inherits the change's kind
      for (const m of this.graph.declaredFrom(node)) push(m, change)
    }
    return { written, deleting }
  }
}

type RowChange = 'delete' | 'update'
