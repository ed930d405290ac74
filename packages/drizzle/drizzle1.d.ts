/* biome-ignore-all lint/complexity/noBannedTypes: the type parameters must repeat Drizzle's exactly */
/*
 * `@querycache/drizzle/drizzle1`: the package's API with `$withCache(...)` typed for Drizzle 1.0.
 * Drizzle 1.0 changed the type parameters of its select builders, relational queries and
 * `$count` builders, and an augmentation must repeat them exactly, so each major has its own
 * entry (the default one is Drizzle 0.45's). The runtime is the same module.
 */
import type { ColumnsSelection } from 'drizzle-orm'
import type {} from 'drizzle-orm/mysql-core/async/select'
import type {} from 'drizzle-orm/mysql-core/query-builders/count'
import type { MySqlRelationalQueryHKTBase } from 'drizzle-orm/mysql-core/query-builders/query'
import type { MySqlSelectHKTBase } from 'drizzle-orm/mysql-core/query-builders/select.types'
import type {} from 'drizzle-orm/pg-core/async/select'
import type {} from 'drizzle-orm/pg-core/query-builders/count'
import type { PgRelationalQueryHKTBase } from 'drizzle-orm/pg-core/query-builders/query'
import type { PgSelectHKTBase } from 'drizzle-orm/pg-core/query-builders/select.types'
import type {
  BuildSubquerySelection,
  JoinNullability,
  SelectMode,
  SelectResult,
} from 'drizzle-orm/query-builders/select.types'
import type {} from 'drizzle-orm/sqlite-core/async/select'
import type {} from 'drizzle-orm/sqlite-core/query-builders/count'
import type { SQLiteRelationalQueryHKTBase } from 'drizzle-orm/sqlite-core/query-builders/query'
import type { SQLiteSelectHKTBase } from 'drizzle-orm/sqlite-core/query-builders/select.types'
import type { Assume } from 'drizzle-orm/utils'
import type { QueryCacheCallOptions } from './dist/api.js'

export * from './dist/api.js'

declare module 'drizzle-orm/pg-core/query-builders/select' {
  interface PgSelectBase<
    THKT extends PgSelectHKTBase,
    TTableName extends string | undefined,
    TSelection extends ColumnsSelection | undefined,
    TSelectMode extends SelectMode,
    TNullabilityMap extends Record<string, JoinNullability> = TTableName extends string
      ? Record<TTableName, 'not-null'>
      : {},
    TDynamic extends boolean = false,
    TExcludedMethods extends string = never,
    TResult extends any[] = SelectResult<TSelection, TSelectMode, TNullabilityMap>[],
    TSelectedFields extends ColumnsSelection = BuildSubquerySelection<
      Assume<TSelection, ColumnsSelection>,
      TNullabilityMap
    >,
  > {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/pg-core/query-builders/query' {
  interface PgRelationalQuery<THKT extends PgRelationalQueryHKTBase, TResult> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/pg-core/query-builders/count' {
  interface PgCountBuilder {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/sqlite-core/query-builders/select' {
  interface SQLiteSelectBase<
    THKT extends SQLiteSelectHKTBase,
    TTableName extends string | undefined,
    TRunResult,
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

declare module 'drizzle-orm/sqlite-core/query-builders/query' {
  interface SQLiteRelationalQuery<THKT extends SQLiteRelationalQueryHKTBase, TResult> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/sqlite-core/query-builders/count' {
  interface SQLiteCountBuilder {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/mysql-core/query-builders/select' {
  interface MySqlSelectBase<
    THKT extends MySqlSelectHKTBase,
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

declare module 'drizzle-orm/mysql-core/query-builders/query' {
  interface MySqlRelationalQuery<THKT extends MySqlRelationalQueryHKTBase, TResult> {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/mysql-core/query-builders/count' {
  interface MySqlCountBuilder {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options?: QueryCacheCallOptions | false): this
  }
}

// The async builders a db's select() returns derive from the select bases above, where Drizzle
// declares its own `$withCache`. A member of the derived class hides the base's, so on these a
// wrong option is reported against querycache's options alone, not as "no overload matches".
declare module 'drizzle-orm/pg-core/async/select' {
  interface PgAsyncSelectBase<
    TTableName extends string | undefined,
    TSelection extends ColumnsSelection | undefined,
    TSelectMode extends SelectMode,
    TNullabilityMap extends Record<string, JoinNullability> = TTableName extends string
      ? Record<TTableName, 'not-null'>
      : {},
    TDynamic extends boolean = false,
    TExcludedMethods extends string = never,
    TResult extends any[] = SelectResult<TSelection, TSelectMode, TNullabilityMap>[],
    TSelectedFields extends ColumnsSelection = BuildSubquerySelection<
      Assume<TSelection, ColumnsSelection>,
      TNullabilityMap
    >,
  > {
    /** querycache: per-query cache options, or `false` to bypass the cache. */
    $withCache(options: QueryCacheCallOptions | false): this
  }
}

declare module 'drizzle-orm/sqlite-core/async/select' {
  interface SQLiteAsyncSelectBase<
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

declare module 'drizzle-orm/mysql-core/async/select' {
  interface MySqlAsyncSelectBase<
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
