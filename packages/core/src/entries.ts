import type { Codec, Encoded } from './codec.js'
import type { DecodedEntries } from './decoded.js'
import { decodePayload, type Entry, parseEntry, serializeEntry } from './entry.js'
import { CodecError, CorruptEntryError, IntegrityError } from './errors.js'
import { type Signer, unsigned } from './integrity.js'
import type { ResolvedEntryOptions } from './resolved-options.js'
import type { StatsCollector } from './stats.js'
import type { StoreAccess } from './store-access.js'
import type { Telemetry } from './telemetry.js'
import type { Tokens } from './tokens.js'

export interface EntryRead {
  state: 'fresh' | 'stale' | 'dead'
  value?: unknown
  model: string | undefined
}

/**
 * Stored entries: whether one may be served (its recorded tokens still current, not expired),
 * and writing one within `maxEntryBytes`. Codec failures are reported and never thrown.
 */
export class Entries {
  constructor(
    private readonly codec: Codec,
    private readonly access: StoreAccess,
    private readonly tokens: Tokens,
    private readonly counters: StatsCollector,
    private readonly maxEntryBytes: number,
    /** Signs written entries and verifies read ones (`integrity`); undefined: unsigned. */
    private readonly signer: Signer | undefined,
    private readonly telemetry: Telemetry,
    /** Entries kept decoded (`keepDecoded`); undefined: every read parses its entry. */
    private readonly decoded: DecodedEntries | undefined,
  ) {}

  /**
   * `known`/`current` are tokens the caller already read alongside the entry, so a hit whose
   * dependencies are all among them costs no further round trip. Undefined: unreadable or corrupt.
   */
  async read(
    entryKey: string,
    raw: string,
    known: string[],
    current: (string | undefined)[],
  ): Promise<EntryRead | undefined> {
    let entry: Entry
    let value: unknown
    try {
      const remembered = this.decoded?.get(entryKey, raw)
      if (remembered) {
        // exactly the text read (and verified) before
        entry = remembered.entry
      } else {
        // never larger than maxEntryBytes when querycache wrote it (its UTF-8 size is at least
        // its length): refuse bigger ones before any parsing, so decoding stays bounded
        if (raw.length > this.maxEntryBytes)
          throw new CorruptEntryError(
            'Entry is larger than maxEntryBytes (querycache did not write it)',
          )
        entry = this.parse(entryKey, raw)
      }
      // an invalidation of one of its dependencies is being written or failed: not servable here
      if (this.tokens.anyPending(entry.dependencies))
        return { state: 'dead', model: entry.model ?? undefined }
      const tokens = await this.tokens.current(entry.dependencies, known, current)
      if (!tokens) return undefined
      for (let i = 0; i < entry.tokens.length; i++) {
        if (tokens[i] !== entry.tokens[i]) return this.dead(entryKey, entry)
      }
      const now = Date.now()
      const state =
        entry.expiresAt === null || now < entry.expiresAt
          ? 'fresh'
          : entry.staleUntil !== null && now < entry.staleUntil
            ? 'stale'
            : 'dead'
      if (state === 'dead') return this.dead(entryKey, entry)
      if (remembered?.decoded) {
        value = this.copy(entryKey, raw, entry.payload)
      } else if (remembered) {
        // read a second time: from now on it is kept decoded, and each read gets a copy
        const parsed = this.parse(entryKey, raw)
        const decoded = decodePayload(this.codec, parsed)
        this.decoded!.set(entryKey, { raw, entry: { ...parsed, payload: decoded }, decoded: true })
        value = this.copy(entryKey, raw, decoded)
      } else {
        value = decodePayload(this.codec, entry)
        this.decoded?.set(entryKey, {
          raw,
          entry: { ...entry, payload: undefined },
          decoded: false,
        })
      }
      return { state, value, model: entry.model ?? undefined }
    } catch (error) {
      this.decoded?.delete(entryKey)
      if (error instanceof IntegrityError) this.counters.count('badSignatures')
      else if (error instanceof CorruptEntryError) this.counters.count('corrupt')
      else throw error
      this.access.report(error, 'decode', undefined)
      await this.access.tryStore('delete', undefined, () =>
        this.access.driver.deleteMany([entryKey]),
      )
      return undefined
    }
  }

  /**
   * A copy of a kept decoded value; if copying fails (a codec type's clone), the entry is no
   * longer kept and its stored text is decoded instead, as without keepDecoded.
   */
  private copy(entryKey: string, raw: string, decoded: unknown): unknown {
    try {
      return this.codec.clone(decoded)
    } catch (error) {
      this.decoded!.delete(entryKey)
      this.access.report(
        new CodecError(`Copying a kept entry failed: ${(error as Error)?.message ?? error}`, {
          cause: error,
        }),
        'decode',
        undefined,
      )
      return decodePayload(this.codec, this.parse(entryKey, raw))
    }
  }

  /** The entry in `raw`, verified when entries are signed; throws when it is not one of ours. */
  private parse(entryKey: string, raw: string): Entry {
    return parseEntry(this.signer ? this.signer.verify(entryKey, raw) : unsigned(raw))
  }

  private dead(entryKey: string, entry: Entry): EntryRead {
    this.decoded?.delete(entryKey)
    return { state: 'dead', model: entry.model ?? undefined }
  }

  async write(
    entryKey: string,
    userKey: string,
    encoded: Encoded,
    o: ResolvedEntryOptions,
    recorded: string[],
  ): Promise<boolean> {
    const started = this.telemetry.setStart()
    const now = Date.now()
    const expiresAt = o.ttl === null ? null : now + o.ttl * 1000
    const staleUntil = expiresAt === null || o.swr === 0 ? null : expiresAt + o.swr * 1000
    const serialized = serializeEntry(
      {
        userKey,
        model: o.models[0] ?? null,
        dependencies: o.dependencies,
        tokens: recorded,
        expiresAt,
        staleUntil,
      },
      encoded.json,
      encoded.tagged,
    )
    const raw = this.signer ? this.signer.sign(entryKey, serialized) : serialized
    // length is a lower bound of the UTF-8 size; only measure exactly when it could matter
    if (raw.length > this.maxEntryBytes / 3 && Buffer.byteLength(raw) > this.maxEntryBytes) {
      this.counters.count('skipped')
      return false
    }
    const ttlMs =
      staleUntil !== null ? staleUntil - now : expiresAt !== null ? expiresAt - now : undefined
    const ok = await this.access.tryStore('set', userKey, () =>
      this.access.driver.set(entryKey, raw, ttlMs).then(() => true),
    )
    if (!ok) return false
    this.counters.count('sets')
    this.telemetry.set(started, userKey, o.models[0], raw.length, o.ttl)
    return true
  }

  /** Entry writes a caller did not wait for (write-behind); `flush` waits for them. */
  private readonly pending = new Set<Promise<unknown>>()

  behind(write: Promise<unknown>): void {
    // never rejects: store failures are reported by write() itself
    const tracked: Promise<unknown> = write
      .catch(() => undefined)
      .finally(() => this.pending.delete(tracked))
    this.pending.add(tracked)
  }

  /** Waits for the entry writes in flight now (each bounded by the store timeout). */
  async flush(): Promise<void> {
    // the writes pending now; ones that later misses start do not hold this caller up
    await Promise.all([...this.pending])
  }

  /** Undefined when the value cannot be cached (counted as skipped and reported). */
  encode(userKey: string, value: unknown): Encoded | undefined {
    try {
      return this.codec.encode(value)
    } catch (error) {
      this.counters.count('skipped')
      this.access.report(
        error instanceof CodecError ? error : new CodecError(String(error), { cause: error }),
        'encode',
        userKey,
      )
      return undefined
    }
  }

  /** A copy of a shared result, so callers cannot mutate each other's; `value` if decoding fails. */
  decodeOwnCopy(userKey: string, encoded: Encoded, value: unknown): unknown {
    try {
      return this.codec.decode(encoded.json, encoded.tagged)
    } catch (error) {
      this.access.report(error, 'decode', userKey)
      return value
    }
  }
}
