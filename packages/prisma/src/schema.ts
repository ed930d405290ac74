/**
 * What querycache needs to know about a Prisma schema, read from the client itself: its runtime
 * data model (relations, `@@map` names) and its inline schema (foreign keys and referential
 * actions, which the runtime data model does not carry). Nothing is hand-written per model.
 */

import {
  Dependencies,
  type ReferentialAction as KitAction,
  RelationGraph,
  tableDependency,
} from '@querycache/core/adapter'

export type ReferentialAction = 'Cascade' | 'SetNull' | 'SetDefault' | 'Restrict' | 'NoAction'

export interface RelationField {
  /** Field name on the model. */
  name: string
  /** The model at the other end. */
  target: string
  relationName: string
}

/** One foreign key: `holder.fields` reference `referenced.references`. */
export interface ForeignKey {
  holder: string
  referenced: string
  fields: string[]
  references: string[]
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
}

export interface ModelInfo {
  name: string
  /** Table name (`@@map`), or the model name. */
  table: string
  /** `@@schema`, when the schema uses several. */
  schema: string | undefined
  relations: Map<string, RelationField>
}

interface RuntimeField {
  name: string
  kind: string
  type: string
  relationName?: string
}

interface RuntimeDataModel {
  models: Record<string, { dbName?: string | null; schema?: string | null; fields: RuntimeField[] }>
}

export class SchemaGraph {
  readonly models = new Map<string, ModelInfo>()
  readonly foreignKeys: ForeignKey[] = []
  /** Foreign keys and their referential actions, between models (core's one relation graph). */
  readonly relations = new RelationGraph()
  /** Dependency names of reads and writes: a model, its table and its implicit join tables. */
  readonly dependencies: Dependencies
  /** Lower-cased table names (model tables and implicit many-to-many join tables) → models. */
  readonly tables = new Map<string, string[]>()
  /** `view` blocks: what they read is not in the schema, so reads of them depend on every model. */
  readonly views = new Set<string>()
  /** False when the inline schema could not be read: every relation is then assumed to cascade. */
  readonly knowsReferentialActions: boolean

  /** Implicit many-to-many join tables of each model. */
  private readonly joinTables = new Map<string, string[]>()

  constructor(
    dataModel: RuntimeDataModel,
    inlineSchema: string | undefined,
    /** `sqlite`, `postgresql`, `mysql`…: how the database names tables. */
    readonly provider: string = 'postgresql',
  ) {
    for (const [name, model] of Object.entries(dataModel.models)) {
      const relations = new Map<string, RelationField>()
      for (const f of model.fields) {
        if (f.kind === 'object')
          relations.set(f.name, {
            name: f.name,
            target: f.type,
            relationName: f.relationName ?? '',
          })
      }
      const table = model.dbName ?? name
      const schema = model.schema ?? undefined
      this.models.set(name, { name, table, schema, relations })
      this.addTable(table, name)
    }
    // implicit many-to-many: both sides are lists and neither holds a foreign key; Prisma keeps
    // the link in a table named `_<relationName>`
    const byRelation = new Map<string, RelationField[]>()
    for (const model of this.models.values()) {
      for (const r of model.relations.values()) {
        const list = byRelation.get(r.relationName) ?? []
        list.push(r)
        byRelation.set(r.relationName, list)
      }
    }
    const parsed = inlineSchema ? parseSchema(inlineSchema, this.models) : undefined
    this.knowsReferentialActions = parsed !== undefined
    if (parsed) this.foreignKeys.push(...parsed.keys)
    for (const m of (inlineSchema ?? '').matchAll(/^\s*view\s+(\w+)\s*\{/gmu)) this.views.add(m[1]!)
    for (const [relationName, sides] of byRelation) {
      const models = [...new Set(sides.map((s) => s.target))]
      // both sides lists: an implicit many-to-many, kept in `_<relationName>` (without the
      // schema text, map that name for every relation: a name no table has is harmless)
      const implicit = parsed
        ? sides.length === 2 &&
          sides.every((s) => parsed.lists.has(`${ownerOf(s, this)}.${s.name}`))
        : true
      if (implicit) {
        this.addTable(`_${relationName}`, ...models)
        for (const m of models)
          this.joinTables.set(m, [...(this.joinTables.get(m) ?? []), `_${relationName}`])
      }
      if (!parsed && sides.length === 2) {
        // without referential actions, assume the worst: a change on either side cascades
        for (const [holder, referenced] of [
          [models[0]!, models[models.length - 1]!],
          [models[models.length - 1]!, models[0]!],
        ] as const) {
          this.foreignKeys.push({
            holder,
            referenced,
            fields: [],
            references: [],
            onDelete: 'Cascade',
            onUpdate: 'Cascade',
          })
        }
      }
    }
    for (const k of this.foreignKeys)
      this.relations.addForeignKey({
        holder: k.holder,
        referenced: k.referenced,
        references: k.references,
        onDelete: KIT_ACTIONS[k.onDelete],
        onUpdate: KIT_ACTIONS[k.onUpdate],
      })
    this.dependencies = new Dependencies(this.relations, {
      names: (model) => [model, ...this.tablesOf([model])],
      table: (model) => this.tableOf(model),
    })
  }

  private addTable(table: string, ...models: string[]): void {
    const key = table.toLowerCase()
    const list = this.tables.get(key) ?? []
    for (const m of models) if (!list.includes(m)) list.push(m)
    this.tables.set(key, list)
  }

  relation(model: string, field: string): RelationField | undefined {
    return this.models.get(model)?.relations.get(field)
  }

  private tableOf(model: string): string {
    const info = this.models.get(model)
    return info ? tableDependency(info.table, this.provider, info.schema) : model
  }

  private tablesOf(models: readonly string[]): string[] {
    const out: string[] = []
    for (const m of models) {
      const info = this.models.get(m)
      if (!info) continue
      out.push(tableDependency(info.table, this.provider, info.schema))
      for (const j of this.joinTables.get(m) ?? [])
        out.push(tableDependency(j, this.provider, info.schema))
    }
    return out
  }

  /** Every model, for writes whose effect cannot be told. */
  allModels(): string[] {
    return [...this.models.keys()]
  }
}

/** The model a relation field is declared on (its target's other side points back to it). */
function ownerOf(field: RelationField, graph: SchemaGraph): string {
  for (const m of graph.models.values()) if (m.relations.get(field.name) === field) return m.name
  return ''
}

const KIT_ACTIONS: Record<ReferentialAction, KitAction> = {
  Cascade: 'cascade',
  SetNull: 'set null',
  SetDefault: 'set default',
  Restrict: 'restrict',
  NoAction: 'no action',
}

const MODEL_RE = /^\s*model\s+(\w+)\s*\{([\s\S]*?)^\s*\}/gm
const FIELD_RE = /^\s*(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/

/** Foreign keys (with their actions) and list relation fields (`Model.field`), from schema text. */
function parseSchema(
  schema: string,
  models: Map<string, ModelInfo>,
): { keys: ForeignKey[]; lists: Set<string> } | undefined {
  const keys: ForeignKey[] = []
  const lists = new Set<string>()
  let found = false
  for (const m of schema.replace(/\/\/.*$/gm, '').matchAll(MODEL_RE)) {
    const modelName = m[1]!
    const info = models.get(modelName)
    if (!info) continue
    found = true
    for (const line of m[2]!.split('\n')) {
      const f = FIELD_RE.exec(line)
      if (!f) continue
      const [, fieldName, type, list, optional, attributes = ''] = f
      const relation = info.relations.get(fieldName!)
      if (!relation || relation.target !== type) continue
      if (list) lists.add(`${modelName}.${fieldName}`)
      const fields = listArg(attributes, 'fields')
      if (!fields) continue
      keys.push({
        holder: modelName,
        referenced: type!,
        fields,
        references: listArg(attributes, 'references') ?? [],
        onDelete: actionArg(attributes, 'onDelete') ?? (optional ? 'SetNull' : 'Restrict'),
        onUpdate: actionArg(attributes, 'onUpdate') ?? 'Cascade',
      })
    }
  }
  return found ? { keys, lists } : undefined
}

function listArg(attributes: string, name: string): string[] | undefined {
  const m = new RegExp(`\\b${name}\\s*:\\s*\\[([^\\]]*)\\]`).exec(attributes)
  return m
    ? m[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined
}

function actionArg(attributes: string, name: string): ReferentialAction | undefined {
  const m = new RegExp(`\\b${name}\\s*:\\s*(\\w+)`).exec(attributes)
  const v = m?.[1]
  return v === 'Cascade' ||
    v === 'SetNull' ||
    v === 'SetDefault' ||
    v === 'Restrict' ||
    v === 'NoAction'
    ? v
    : undefined
}
