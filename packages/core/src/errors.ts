/**
 * Every failure querycache names, one code each. Thrown to the caller: only
 * `QC_INVALID_OPTION` (a user mistake) and `QC_UNSUPPORTED` (a feature the setup cannot do).
 * Everything else is reported through `onError` and stats, never thrown.
 */
export type QueryCacheErrorCode =
  /** A bad option or argument (thrown at once). */
  | 'QC_INVALID_OPTION'
  /** The operation cannot work with this store or driver (thrown at once). */
  | 'QC_UNSUPPORTED'
  /** A value the codec cannot represent faithfully; it is not cached. */
  | 'QC_CODEC'
  /** A store call failed. */
  | 'QC_STORE_FAILED'
  /** A store call took longer than `timeoutMs`. */
  | 'QC_STORE_TIMEOUT'
  /** A store call was skipped: the store timed out recently (see `retryAfterMs`). */
  | 'QC_STORE_UNAVAILABLE'
  /** A stored entry is not querycache's, is truncated, or cannot be decoded; it was removed. */
  | 'QC_CORRUPT_ENTRY'
  /** A stored entry's signature does not verify (`integrity` on); it was not served and was removed. */
  | 'QC_INTEGRITY'
  /** Anything else that went wrong inside the cache (a bug worth reporting). */
  | 'QC_UNKNOWN'

/** Every error querycache creates carries a stable `code` callers can branch on. */
export class QueryCacheError extends Error {
  readonly code: QueryCacheErrorCode
  constructor(code: QueryCacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'QueryCacheError'
    this.code = code
  }
}

/** A user mistake: a bad option or argument. Thrown at once, never reported through onError. */
export class CacheOptionError extends QueryCacheError {
  constructor(message: string) {
    super('QC_INVALID_OPTION', message)
    this.name = 'CacheOptionError'
  }
}

/** A value the codec cannot represent faithfully (function, symbol, cycle, unknown class). */
export class CodecError extends QueryCacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QC_CODEC', message, options)
    this.name = 'CodecError'
  }
}

/** A store operation failed, timed out, or was skipped while the store is considered down. */
export class StoreError extends QueryCacheError {
  declare readonly code: 'QC_STORE_FAILED' | 'QC_STORE_TIMEOUT' | 'QC_STORE_UNAVAILABLE'
  constructor(
    code: 'QC_STORE_FAILED' | 'QC_STORE_TIMEOUT' | 'QC_STORE_UNAVAILABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'StoreError'
  }
}

/** A stored entry that is not ours, is truncated, or cannot be decoded. It is treated as a miss and removed. */
export class CorruptEntryError extends QueryCacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QC_CORRUPT_ENTRY', message, options)
    this.name = 'CorruptEntryError'
  }
}

/**
 * A stored entry whose signature does not verify (`integrity` on): content querycache did not
 * write under this key with an accepted key. It is treated as a miss and removed.
 */
export class IntegrityError extends QueryCacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QC_INTEGRITY', message, options)
    this.name = 'IntegrityError'
  }
}
