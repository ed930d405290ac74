/* biome-ignore-all lint/complexity/noBannedTypes: the type parameters must repeat Drizzle's exactly */
/*
 * Types `$withCache(...)` with querycache's options on every cached read: Drizzle's select
 * builders (where Drizzle declares it with its own options), relational queries and `$count`.
 */
import type { ColumnsSelection } from 'drizzle-orm'
import type {} from 'drizzle-orm/mysql-core/query-builders/count'
import type {} from 'drizzle-orm/mysql-core/query-builders/query'
import type { MySqlSession, PreparedQueryHKTBase } from 'drizzle-orm/mysql-core/session'
import type {} from 'drizzle-orm/pg-core/query-builders/count'
import type {} from 'drizzle-orm/pg-core/query-builders/query'
import type { PgSession } from 'drizzle-orm/pg-core/session'
import type {
  BuildSubquerySelection,
  JoinNullability,
  SelectMode,
  SelectResult,
} from 'drizzle-orm/query-builders/select.types'
import type {} from 'drizzle-orm/sqlite-core/query-builders/count'
import type {} from 'drizzle-orm/sqlite-core/query-builders/query'
import type { SQLiteSession } from 'drizzle-orm/sqlite-core/session'
import type { QueryCacheCallOptions } from './types.js'

declare module 'drizzle-orm/pg-core/query-builders/select' {
  // On PgSelectBase, the class a db's select() returns, not on PgSelectQueryBuilderBase where
  // Drizzle declares its own `$withCache`: a member of the derived class hides the base's, so a
  // wrong option is reported against querycache's options alone, not as "no overload matches".
  interface PgSelectBase<
    TTableName extends string | undefined,
    TSelection extends ColumnsSelection,
    TSelectMode extends SelectMode,
    TNullabilityMap extends Record<string, JoinNullability> = TTableName extends string
      ? Record<TTableName, 'not-null'>
      : {},
    TDynamic extends boolean = false,
    TExcludedMethods extends string = never,
    TResult extends any[] = SelectResult<TSelection, TSelectMode, TNullabilityMap>[],
    TSelectedFields extends ColumnsSelection = BuildSubquerySelection<TSelection, TNullabilityMap>,
  > {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/pg-core/query-builders/query' {
  interface PgRelationalQuery<TResult> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/pg-core/query-builders/count' {
  interface PgCountBuilder<TSession extends PgSession<any, any, any>> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/sqlite-core/query-builders/select' {
  interface SQLiteSelectBase<
    TTableName extends string | undefined,
    TResultType extends 'sync' | 'async',
    TRunResult,
    TSelection extends ColumnsSelection,
    TSelectMode extends SelectMode = 'single',
    TNullabilityMap extends Record<string, JoinNullability> = TTableName extends string
      ? Record<TTableName, 'not-null'>
      : {},
    TDynamic extends boolean = false,
    TExcludedMethods extends string = never,
    TResult extends any[] = SelectResult<TSelection, TSelectMode, TNullabilityMap>[],
    TSelectedFields extends ColumnsSelection = BuildSubquerySelection<TSelection, TNullabilityMap>,
  > {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/sqlite-core/query-builders/query' {
  interface SQLiteRelationalQuery<TType extends 'sync' | 'async', TResult> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/sqlite-core/query-builders/count' {
  interface SQLiteCountBuilder<TSession extends SQLiteSession<any, any, any, any>> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/mysql-core/query-builders/select' {
  // On MySqlSelectBase, not on MySqlSelectQueryBuilderBase: see PgSelectBase above.
  interface MySqlSelectBase<
    TTableName extends string | undefined,
    TSelection extends ColumnsSelection,
    TSelectMode extends SelectMode,
    TPreparedQueryHKT extends PreparedQueryHKTBase,
    TNullabilityMap extends Record<string, JoinNullability> = TTableName extends string
      ? Record<TTableName, 'not-null'>
      : {},
    TDynamic extends boolean = false,
    TExcludedMethods extends string = never,
    TResult extends any[] = SelectResult<TSelection, TSelectMode, TNullabilityMap>[],
    TSelectedFields extends ColumnsSelection = BuildSubquerySelection<TSelection, TNullabilityMap>,
  > {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/mysql-core/query-builders/query' {
  interface MySqlRelationalQuery<TPreparedQueryHKT extends PreparedQueryHKTBase, TResult> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/mysql-core/query-builders/count' {
  interface MySqlCountBuilder<TSession extends MySqlSession<any, any, any>> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}
