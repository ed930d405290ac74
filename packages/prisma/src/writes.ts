/**
 * Writes → models: which models a Prisma write changes directly — its own, those of nested
 * writes, those whose rows it deletes or whose referenced keys it updates. The adapter kit follows
 * referential actions from there; raw SQL is read by the kit's one rule.
 */
import { rawWriteEffect, splitSqlIdentifier, type WriteEffect } from '@querycache/core/adapter'
import type { SchemaGraph } from './schema.js'

type Args = Record<string, unknown>

const isObject = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v)

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

interface Effect {
  written: Set<string>
  deleted: Set<string>
  keyChanged: Set<string>
}

/** What a model write changes directly (the kit follows referential actions from there). */
export function writeEffect(
  graph: SchemaGraph,
  model: string,
  operation: string,
  args: unknown,
): WriteEffect {
  const effect: Effect = { written: new Set([model]), deleted: new Set(), keyChanged: new Set() }
  const a = isObject(args) ? args : {}
  switch (operation) {
    case 'delete':
    case 'deleteMany':
      effect.deleted.add(model)
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
  return effect
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
    effect.written.add(r.target)
    if (isObject(value)) walkNested(graph, r.target, value, effect)
  }
  // changing a key other rows reference fires onUpdate actions
  if (graph.relations.changesReferencedKey(model, scalars)) effect.keyChanged.add(model)
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
          if (v !== false) effect.deleted.add(model)
          break
        default:
          // connect, disconnect, set: change foreign keys or link rows only
          break
      }
    }
  }
}

/**
 * What a raw statement changes, by the kit's one rule (`null`: provably read-only; `undefined`:
 * cannot be told, everything). A table outside the data model cannot be vouched for: everything.
 */
export function rawEffect(graph: SchemaGraph, sql: string): WriteEffect | undefined | null {
  return rawWriteEffect(
    sql,
    (identifier) => {
      const parts = splitSqlIdentifier(identifier)
      return graph.tables.get(parts[parts.length - 1]!.name.toLowerCase())
    },
    graph.provider,
  )
}
