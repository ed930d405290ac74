/** Every error querycache creates carries a stable `code` callers can branch on. */
export class QueryCacheError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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
