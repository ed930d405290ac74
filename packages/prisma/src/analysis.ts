/**
 * The translation layer: which models a Prisma read depends on, and which models a write
 * (including nested writes, referential actions and raw SQL) can change.
 */
import { splitSqlIdentifier, sqlWrites, stripSqlLiterals } from '@querycache/core/adapter'
import type { SchemaGraph } from './schema.js'

type Args = Record<string, unknown>

const isObject = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v)

// ---------------------------------------------------------------------------------------------
// reads

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

// ---------------------------------------------------------------------------------------------
// writes

export const WRITE_OPERATIONS = new Set([
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
])

/**
 * What a write changes: `touched`, the models whose rows may change; `deleted`, those whose rows
 * may be deleted or have a referenced key changed (what foreign-key actions react to).
 */
export interface WriteEffect {
  touched: string[]
  deleted: string[]
}

interface Effect {
  touched: Set<string>
  deleted: Set<string>
}

/** Every model a model write can change. */
export function writeTouched(
  graph: SchemaGraph,
  model: string,
  operation: string,
  args: unknown,
): WriteEffect {
  const effect: Effect = { touched: new Set<string>([model]), deleted: new Set<string>() }
  const a = isObject(args) ? args : {}
  switch (operation) {
    case 'delete':
    case 'deleteMany':
      deletes(graph, model, effect)
      break
    case 'update':
    case 'updateMany':
    case 'updateManyAndReturn':
      walkData(graph, model, a.data, effect)
      break
    case 'upsert':
      walkData(graph, model, a.create, effect)
      walkData(graph, model, a.update, effect)
      break
    default:
      // create, createMany, createManyAndReturn
      walkData(graph, model, a.data, effect)
  }
  return { touched: [...effect.touched], deleted: [...effect.deleted] }
}

function addAll(set: Set<string>, items: Iterable<string>): void {
  for (const i of items) set.add(i)
}

/** Rows of `model` deleted (or, `change: 'update'`, a referenced key changed), with what follows. */
function deletes(
  graph: SchemaGraph,
  model: string,
  effect: Effect,
  change: 'delete' | 'update' = 'delete',
): void {
  const reached = graph.affectedBy(model, change)
  addAll(effect.touched, reached)
  addAll(effect.deleted, reached)
}

/** A `data` object (or list of them) of `model`: scalar updates and nested writes. */
function walkData(graph: SchemaGraph, model: string, data: unknown, effect: Effect): void {
  if (Array.isArray(data)) {
    for (const d of data) walkData(graph, model, d, effect)
    return
  }
  if (!isObject(data)) return
  const scalars: string[] = []
  for (const [field, value] of Object.entries(data)) {
    const r = graph.relation(model, field)
    if (!r) {
      scalars.push(field)
      continue
    }
    effect.touched.add(r.target)
    if (isObject(value)) walkNested(graph, r.target, value, effect)
  }
  // changing a key other rows reference fires onUpdate actions
  if (graph.changesReferencedKey(model, scalars)) deletes(graph, model, effect, 'update')
}

/** A nested write on relation target `model`: { create, connect, update, delete, ... }. */
function walkNested(graph: SchemaGraph, model: string, ops: Args, effect: Effect): void {
  for (const [op, value] of Object.entries(ops)) {
    const each = Array.isArray(value) ? value : [value]
    for (const v of each) {
      switch (op) {
        case 'create':
          walkData(graph, model, v, effect)
          break
        case 'createMany':
          if (isObject(v)) walkData(graph, model, v.data, effect)
          break
        case 'connectOrCreate':
          if (isObject(v)) walkData(graph, model, v.create, effect)
          break
        case 'update':
        case 'updateMany':
          // { where, data } on lists, or the data itself on to-one relations
          if (isObject(v))
            walkData(graph, model, 'data' in v && 'where' in v ? v.data : (v.data ?? v), effect)
          break
        case 'upsert':
          if (isObject(v)) {
            walkData(graph, model, v.create, effect)
            walkData(graph, model, v.update, effect)
          }
          break
        case 'delete':
        case 'deleteMany':
          if (v !== false) deletes(graph, model, effect)
          break
        default:
          // connect, disconnect, set: change foreign keys or link rows only
          break
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// raw SQL

/**
 * Models a raw statement can change: the tables it writes (core's `sqlWrites`) and what their
 * referential actions reach. `undefined` when the SQL cannot be read, or names a table outside
 * the data model: the caller invalidates every model.
 */
export function rawTouched(graph: SchemaGraph, sql: string): string[] | undefined {
  // keywords inside string literals are data
  const found = sqlWrites(stripSqlLiterals(sql))
  if (found.unknown) return undefined
  // a plain read changes nothing; anything else we cannot place (CREATE …) changes everything
  if (!found.writes) return found.readOnly ? [] : undefined
  const touched = new Set<string>()
  for (const table of found.tables) {
    const parts = splitSqlIdentifier(table)
    const models = graph.tables.get(parts[parts.length - 1]!.name.toLowerCase())
    if (!models) return undefined
    for (const m of models) {
      // raw deletes and key updates fire referential actions too
      addAll(touched, graph.affectedBy(m, 'delete'))
      addAll(touched, graph.affectedBy(m, 'update'))
      // TRUNCATE … CASCADE empties every referencing table, whatever its action
      if (found.truncateCascades) addAll(touched, graph.referencing(m))
    }
  }
  return [...touched]
}
