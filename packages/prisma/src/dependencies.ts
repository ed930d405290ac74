/**
 * Reads → models: the model of a Prisma read and every model its arguments reach. The adapter
 * kit turns those models into dependency names (tables, deletion tokens, `*`).
 */
import type { SchemaGraph } from './schema.js'

type Args = Record<string, unknown>

const isObject = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The model of the read and every model reached through include/select/where/orderBy/_count. */
export function readDependencies(graph: SchemaGraph, model: string, args: unknown): string[] {
  const deps = new Set<string>([model])
  if (isObject(args)) walkQuery(graph, model, args, deps)
  for (const d of deps)
    if (graph.views.has(d)) return [model, ...graph.allModels().filter((m) => m !== model)]
  return [...deps]
}

/** A (nested) query-shaped object: include, select, where, orderBy, cursor, having, by. */
function walkQuery(graph: SchemaGraph, model: string, args: Args, deps: Set<string>): void {
  if (isObject(args.include)) walkSelection(graph, model, args.include, deps)
  if (isObject(args.select)) walkSelection(graph, model, args.select, deps)
  if (isObject(args.omit)) walkSelection(graph, model, args.omit, deps)
  if (args.where !== undefined) walkWhere(graph, model, args.where, deps)
  if (args.having !== undefined) walkWhere(graph, model, args.having, deps)
  if (args.orderBy !== undefined) walkOrderBy(graph, model, args.orderBy, deps)
}

function walkSelection(
  graph: SchemaGraph,
  model: string,
  selection: Args,
  deps: Set<string>,
): void {
  for (const [field, value] of Object.entries(selection)) {
    if (value === false || value === undefined) continue
    if (field === '_count') {
      // _count: true counts every relation; _count: { select: { posts: true | { where } } }
      if (value === true) {
        for (const r of graph.models.get(model)?.relations.values() ?? []) deps.add(r.target)
      } else if (isObject(value) && isObject(value.select)) {
        for (const [name, v] of Object.entries(value.select)) {
          const r = graph.relation(model, name)
          if (!r || v === false) continue
          deps.add(r.target)
          if (isObject(v)) walkQuery(graph, r.target, v, deps)
        }
      }
      continue
    }
    const r = graph.relation(model, field)
    if (!r) continue
    deps.add(r.target)
    if (isObject(value)) walkQuery(graph, r.target, value, deps)
  }
}

const LIST_FILTERS = ['some', 'every', 'none'] as const
const ONE_FILTERS = ['is', 'isNot'] as const

function walkWhere(graph: SchemaGraph, model: string, where: unknown, deps: Set<string>): void {
  if (Array.isArray(where)) {
    for (const w of where) walkWhere(graph, model, w, deps)
    return
  }
  if (!isObject(where)) return
  for (const [field, value] of Object.entries(where)) {
    if (field === 'AND' || field === 'OR' || field === 'NOT') {
      walkWhere(graph, model, value, deps)
      continue
    }
    const r = graph.relation(model, field)
    if (!r) continue
    deps.add(r.target)
    if (value === null || !isObject(value)) continue
    let filtered = false
    for (const op of [...LIST_FILTERS, ...ONE_FILTERS]) {
      if (op in value) {
        filtered = true
        walkWhere(graph, r.target, value[op], deps)
      }
    }
    // a to-one relation filter may also be written directly: { author: { name: 'x' } }
    if (!filtered) walkWhere(graph, r.target, value, deps)
  }
}

function walkOrderBy(graph: SchemaGraph, model: string, orderBy: unknown, deps: Set<string>): void {
  if (Array.isArray(orderBy)) {
    for (const o of orderBy) walkOrderBy(graph, model, o, deps)
    return
  }
  if (!isObject(orderBy)) return
  for (const [field, value] of Object.entries(orderBy)) {
    const r = graph.relation(model, field)
    if (!r) continue
    deps.add(r.target)
    // { posts: { _count: 'desc' } } or { author: { name: 'asc' } }
    if (isObject(value)) walkOrderBy(graph, r.target, value, deps)
  }
}
