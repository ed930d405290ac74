import { createHmac, timingSafeEqual } from 'node:crypto'
import { CacheOptionError, IntegrityError } from './errors.js'

/**
 * Signed entries: with a key, every entry is stored as `qcs1.<HMAC-SHA256>.<entry>`, the MAC
 * taken over the namespace, the key version, the entry's store key and the entry itself (user
 * key, dependency keys and the tokens recorded with them, expiry, payload). An entry whose MAC
 * does not verify under any accepted key is not served. See SECURITY.md for what this defends.
 */
export interface IntegrityOptions {
  /** The signing key (≥ 32 bytes of secret; a string is taken as UTF-8). */
  key: string | Uint8Array
  /** Keys still accepted for reading while a rotation rolls out; never used to sign. */
  previousKeys?: readonly (string | Uint8Array)[] | undefined
}

const PREFIX = 'qcs1.'
const MAC_LENGTH = 43 // SHA-256 in base64url, unpadded
const HEAD = PREFIX.length + MAC_LENGTH + 1
/** Stored strings already verified, per store key: a repeat hit compares instead of hashing. */
const VERIFIED_MAX = 1024
/** …holding at most this many characters (strings read from Redis are copies of their own). */
const VERIFIED_MAX_CHARS = 4 * 1024 * 1024

export class Signer {
  private readonly keys: Buffer[]
  private readonly context: string
  // a string equal to one that verified under the same store key verifies too; from the memory
  // store or the near cache it is the very same string, so the comparison is a pointer check
  private readonly verified = new Map<string, string>()
  private verifiedChars = 0

  constructor(options: IntegrityOptions, namespace: string, version: number) {
    if (typeof options !== 'object' || options === null)
      throw new CacheOptionError('integrity must be { key, previousKeys? }')
    const previous = options.previousKeys ?? []
    if (!Array.isArray(previous))
      throw new CacheOptionError('integrity.previousKeys must be an array of keys')
    this.keys = [options.key, ...previous].map((k, i) => {
      const name = i === 0 ? 'integrity.key' : `integrity.previousKeys[${i - 1}]`
      if (typeof k !== 'string' && !(k instanceof Uint8Array))
        throw new CacheOptionError(`${name} must be a string or bytes`)
      const bytes = Buffer.from(k)
      if (bytes.length < 32)
        throw new CacheOptionError(
          `${name} must be at least 32 bytes of secret (got ${bytes.length}); e.g. crypto.randomBytes(32).toString('base64')`,
        )
      return bytes
    })
    this.context = `${namespace}\0${version}\0`
  }

  /** The stored form of a serialized entry under `storeKey`. */
  sign(storeKey: string, entry: string): string {
    return `${PREFIX}${this.mac(this.keys[0]!, storeKey, entry)}.${entry}`
  }

  /** The serialized entry a stored string carries, if one of the accepted keys signed it there. */
  verify(storeKey: string, stored: string): string {
    if (this.verified.get(storeKey) === stored) return stored.slice(HEAD)
    if (!stored.startsWith(PREFIX) || stored.charCodeAt(HEAD - 1) !== 46)
      throw new IntegrityError('Entry is not signed (integrity is on: querycache did not write it)')
    const given = Buffer.from(stored.slice(PREFIX.length, HEAD - 1))
    const entry = stored.slice(HEAD)
    for (const key of this.keys) {
      const expected = Buffer.from(this.mac(key, storeKey, entry))
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        this.remember(storeKey, stored)
        return entry
      }
    }
    throw new IntegrityError(
      'Entry signature does not verify (written by someone without the key, moved from another key, or signed with a key no longer accepted)',
    )
  }

  private remember(storeKey: string, stored: string): void {
    if (stored.length > VERIFIED_MAX_CHARS / 16) return
    const previous = this.verified.get(storeKey)
    if (previous !== undefined) {
      this.verified.delete(storeKey)
      this.verifiedChars -= previous.length
    }
    while (
      this.verified.size > 0 &&
      (this.verified.size >= VERIFIED_MAX ||
        this.verifiedChars + stored.length > VERIFIED_MAX_CHARS)
    ) {
      const [oldest, value] = this.verified.entries().next().value!
      this.verified.delete(oldest)
      this.verifiedChars -= value.length
    }
    this.verified.set(storeKey, stored)
    this.verifiedChars += stored.length
  }

  private mac(key: Buffer, storeKey: string, entry: string): string {
    return createHmac('sha256', key)
      .update(this.context)
      .update(storeKey)
      .update('\0')
      .update(entry)
      .digest('base64url')
  }
}

/** The entry inside a stored string, signed or not, without verifying (integrity off; peeks). */
export function unsigned(stored: string): string {
  return stored.startsWith(PREFIX) && stored.charCodeAt(HEAD - 1) === 46
    ? stored.slice(HEAD)
    : stored
}
