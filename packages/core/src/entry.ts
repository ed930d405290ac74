import type { Codec } from './codec.js'
import { CorruptEntryError } from './errors.js'
import { unsigned } from './integrity.js'

const MARK = 'qc1'

/**
 * A stored entry is one JSON array:
 * [mark, userKey, model, dependencyKeys, tokens, expiresAt, staleUntil, tagged, payload]
 * A read parses the head (all but the payload) first, and the payload only if it may be served.
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
  return `${entryHeadText(e, tagged)}${payloadJson}]`
}

/** The text of an entry up to its payload (`[mark, …, tagged,`): every entry starts with it. */
export function entryHeadText(e: Omit<Entry, 'payload' | 'tagged'>, tagged: boolean): string {
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
  return `${head.slice(0, -1)},`
}

/** An entry's head: everything but its payload, which starts at `payloadStart` in the text. */
export type EntryHead = Omit<Entry, 'payload'> & { payloadStart: number }

/**
 * Parses only the head of a stored entry (user key, dependencies, tokens, times), not its payload:
 * deciding that an entry is dead — the usual read before a miss — costs no parse of its result.
 */
export function parseEntryHead(raw: string): EntryHead {
  const end = headEnd(raw)
  let a: unknown
  try {
    if (end < 0 || raw.charCodeAt(raw.length - 1) !== 93) throw new SyntaxError('no entry head')
    a = JSON.parse(`${raw.slice(0, end)}]`)
  } catch (error) {
    throw notJson(error)
  }
  if (
    !Array.isArray(a) ||
    a.length !== 8 ||
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
    payloadStart: end + 1,
  }
}

/** The payload (still encoded) of the entry whose head is `head`. */
export function parsePayload(raw: string, head: EntryHead): unknown {
  try {
    return JSON.parse(raw.slice(head.payloadStart, -1))
  } catch (error) {
    throw notJson(error)
  }
}

function notJson(cause: unknown): CorruptEntryError {
  return new CorruptEntryError(
    'Entry is not valid JSON (truncated, or written by something else)',
    {
      cause,
    },
  )
}

/**
 * Index of the comma that ends the 8 head elements of `[mark, …, tagged, payload]`, found by
 * walking strings (with escapes) and brackets; -1 when the text has no such comma. Whether what
 * it delimits is valid is for JSON.parse to say.
 */
function headEnd(raw: string): number {
  if (raw.charCodeAt(0) !== 91) return -1
  let depth = 0
  let commas = 0
  for (let i = 1; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c === 34) {
      // a string: skip to its closing quote
      for (i++; i < raw.length; i++) {
        const d = raw.charCodeAt(i)
        if (d === 92) i++
        else if (d === 34) break
      }
    } else if (c === 91 || c === 123) depth++
    else if (c === 93 || c === 125) {
      if (--depth < 0) return -1
    } else if (c === 44 && depth === 0 && ++commas === 8) return i
  }
  return -1
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

export function decodePayload(codec: Codec, tagged: boolean, payload: unknown): unknown {
  try {
    return codec.revive(payload, tagged)
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
