import type { Codec } from './codec.js'
import { CorruptEntryError } from './errors.js'
import { unsigned } from './integrity.js'

const MARK = 'qc1'

/**
 * A stored entry is one JSON array, so a hit costs a single JSON.parse:
 * [mark, userKey, model, dependencyKeys, tokens, expiresAt, staleUntil, tagged, payload]
 * The user key is kept (for deletePattern); dependency keys and the tokens they had before the
 * query ran decide validity; times are epoch milliseconds or null (never expires).
 */
export interface Entry {
  userKey: string
  model: string | null
  dependencies: string[]
  tokens: string[]
  expiresAt: number | null
  staleUntil: number | null
  tagged: boolean
  payload: unknown
}

export function serializeEntry(
  e: Omit<Entry, 'payload' | 'tagged'>,
  payloadJson: string,
  tagged: boolean,
): string {
  const head = JSON.stringify([
    MARK,
    e.userKey,
    e.model,
    e.dependencies,
    e.tokens,
    e.expiresAt,
    e.staleUntil,
    tagged ? 1 : 0,
  ])
  return `${head.slice(0, -1)},${payloadJson}]`
}

export function parseEntry(raw: string): Entry {
  let a: unknown
  try {
    a = JSON.parse(raw)
  } catch (error) {
    throw new CorruptEntryError(
      'Entry is not valid JSON (truncated, or written by something else)',
      { cause: error },
    )
  }
  if (
    !Array.isArray(a) ||
    a.length !== 9 ||
    a[0] !== MARK ||
    typeof a[1] !== 'string' ||
    (a[2] !== null && typeof a[2] !== 'string') ||
    !isStrings(a[3]) ||
    !isStrings(a[4]) ||
    a[3].length !== a[4].length ||
    !isTime(a[5]) ||
    !isTime(a[6]) ||
    (a[7] !== 0 && a[7] !== 1)
  ) {
    throw new CorruptEntryError('Entry is not in querycache format')
  }
  return {
    userKey: a[1],
    model: a[2],
    dependencies: a[3],
    tokens: a[4],
    expiresAt: a[5],
    staleUntil: a[6],
    tagged: a[7] === 1,
    payload: a[8],
  }
}

/** Reads only the user key at the head of a stored entry, without parsing its payload. */
export function peekUserKey(stored: string): string | undefined {
  const raw = unsigned(stored)
  const start = MARK.length + 5 // first character of the key, after `["qc1","`
  if (!raw.startsWith(`["${MARK}","`)) return undefined
  for (let i = start; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c === 92)
      i++ // backslash: skip the escaped character
    else if (c === 34) {
      try {
        return JSON.parse(raw.slice(start - 1, i + 1)) as string
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

export function decodePayload(codec: Codec, entry: Entry): unknown {
  try {
    return codec.revive(entry.payload, entry.tagged)
  } catch (error) {
    throw new CorruptEntryError(`Entry payload cannot be decoded: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

function isTime(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isFinite(v))
}
