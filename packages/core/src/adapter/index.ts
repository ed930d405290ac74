/**
 * `@querycache/core/adapter`: the kit an ORM adapter is built from. An adapter translates its
 * ORM's calls — a read into (key, nodes it reads), a write into the nodes it touched — and the kit
 * does the rest the same way for every ORM: dependency names, the relation graph, raw SQL, the
 * failed-write rule, transactions, scoped keys and per-call options.
 */
export type { CacheCallInfo, CallOptions } from './call-options.js'
export { checkCallOptions, reportBypass, reportInfo } from './call-options.js'
export { ANY_TABLE, tableDeletion, tableDependency, UNKNOWN_READS } from './conventions.js'
export type { DependencyNaming, WriteEffect } from './dependencies.js'
export { Dependencies } from './dependencies.js'
export type { BypassReason, CacheExplanation, ReadDecision } from './explain.js'
export { explainRead, explainWrite, PASSTHROUGH } from './explain.js'
export type { ScopeFunction, UnscopedReads } from './keys.js'
export { ScopedKeys } from './keys.js'
export { rawWriteEffect } from './raw.js'
export type { ReadRequest } from './reads.js'
export { readThrough } from './reads.js'
export type { ForeignKey, ReferentialAction, RowChange } from './relations.js'
export { RelationGraph } from './relations.js'
export type { SqlDialect, SqlIdentifierPart, SqlWrites } from './sql.js'
export {
  isLockingRead,
  SQL_IDENTIFIER,
  SQL_QUALIFIED_NAME,
  splitSqlIdentifier,
  sqlDialectOf,
  sqlReadings,
  sqlWrites,
} from './sql.js'
export { Invalidator, TransactionWrites } from './writes.js'
