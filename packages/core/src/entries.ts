import type { Codec, Encoded } from './codec.js'
import type { DecodedEntries, Remembered } from './decoded.js'
import {
  decodePayload,
  type EntryHead,
  entryHeadText,
  parseEntryHead,
  parsePayload,
} from './entry.js'
import { CodecError, CorruptEntryError, IntegrityError } from './errors.js'
import type { FlightResult } from './flights.js'
import { type Signer, unsigned } from './integrity.js'
import type { ResolvedEntryOptions } from './resolved-options.js'
import type { StatsCollector } from './stats.js'
import type { StoreAccess } from './store-access.js'
import type { Telemetry } from './telemetry.js'
import type { Tokens } from './tokens.js'

/** Results waiting to be encoded behind their callers, at most (see `Entries.canWaitToEncode`). */
const MAX_QUEUED = 64

/** What `Entries.ownCopy` returns when it cannot give a caller a copy of its own. */
export const NO_COPY: unique symbol = Symbol('no copy')

/** What `Entries.snapshot` returns for a result it cannot copy exactly. */
export const NO_SNAPSHOT: unique symbol = Symbol('no snapshot')

/** How many heads of entries this process wrote are remembered (see Entries.written). */
const WRITTEN_ENTRIES = 256

export interface PreparedEntry {
  entryKey: string
  userKey: string
  raw: string
  /** The head of `raw`, as parsing it would give, and its text (`raw` up to the payload, unsigned). */
  head: EntryHead
  headText: string
  ttlMs: number | undefined
  started: number
  model: string | undefined
  ttl: number | null
}

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
   * dependencies are all among them costs no further round trip (and no promise: a promise only
   * when tokens must be read from a remote store, or a corrupt entry is deleted). Undefined:
   * unreadable or corrupt.
   */
  read(
    entryKey: string,
    raw: string,
    known: string[],
    current: (string | undefined)[],
  ): EntryRead | undefined | Promise<EntryRead | undefined> {
    try {
      const remembered = this.decoded?.get(entryKey, raw)
      const written = remembered ? undefined : this.written.get(entryKey)
      let head: EntryHead
      if (remembered) {
        // exactly the text read (and verified) before
        head = remembered.entry
      } else if (
        written &&
        raw.length <= this.maxEntryBytes &&
        raw.startsWith(written.text) &&
        raw.charCodeAt(raw.length - 1) === 93 // `]`, as parsing the head checks
      ) {
        // the head this process wrote (the usual read before a miss: dead by then); the head
        // alone is what parsing it would read, so its text deciding is the same as parsing it
        head = written.head
      } else {
        // never larger than maxEntryBytes when querycache wrote it (its UTF-8 size is at least
        // its length): refuse bigger ones before any parsing, so decoding stays bounded
        if (raw.length > this.maxEntryBytes)
          throw new CorruptEntryError(
            'Entry is larger than maxEntryBytes (querycache did not write it)',
          )
        // the head alone decides validity: a dead entry's payload is never parsed
        head = this.parseHead(entryKey, raw)
      }
      // an invalidation of one of its dependencies is being written or failed: not servable here
      if (this.tokens.anyPending(head.dependencies))
        return { state: 'dead', model: head.model ?? undefined }
      const tokens = this.tokens.current(head.dependencies, known, current)
      if (tokens instanceof Promise)
        return tokens.then(
          (t) => this.readCurrent(entryKey, raw, head, remembered, t),
          (error) => this.unreadable(entryKey, error),
        )
      return this.readCurrent(entryKey, raw, head, remembered, tokens)
    } catch (error) {
      return this.unreadable(entryKey, error)
    }
  }

  /** The rest of read, once the current tokens are in hand; never throws. */
  private readCurrent(
    entryKey: string,
    raw: string,
    head: EntryHead,
    remembered: Remembered | undefined,
    tokens: (string | undefined)[] | undefined,
  ): EntryRead | undefined | Promise<EntryRead | undefined> {
    try {
      if (!tokens) return undefined
      for (let i = 0; i < head.tokens.length; i++) {
        if (tokens[i] !== head.tokens[i]) return this.dead(entryKey, head)
      }
      const now = Date.now()
      const state =
        head.expiresAt === null || now < head.expiresAt
          ? 'fresh'
          : head.staleUntil !== null && now < head.staleUntil
            ? 'stale'
            : 'dead'
      if (state === 'dead') return this.dead(entryKey, head)
      let value: unknown
      if (remembered?.decoded) {
        value = this.copy(entryKey, raw, remembered)
      } else if (remembered) {
        // read a second time: from now on it is kept decoded, and each read gets a copy
        const kept = { raw, entry: head, value: this.decode(raw, head), decoded: true }
        this.decoded!.set(entryKey, kept)
        value = this.copy(entryKey, raw, kept)
      } else {
        value = this.decode(raw, head)
        this.decoded?.set(entryKey, { raw, entry: head, value: undefined, decoded: false })
      }
      return { state, value, model: head.model ?? undefined }
    } catch (error) {
      return this.unreadable(entryKey, error)
    }
  }

  /** An entry that failed verification or decoding: counted, reported and deleted. */
  private async unreadable(entryKey: string, error: unknown): Promise<undefined> {
    this.decoded?.delete(entryKey)
    if (error instanceof IntegrityError) this.counters.count('badSignatures')
    else if (error instanceof CorruptEntryError) this.counters.count('corrupt')
    else throw error
    this.access.report(error, 'decode', undefined)
    await this.access.tryStore('delete', undefined, () => this.access.driver.deleteMany([entryKey]))
    return undefined
  }

  /**
   * A copy of a kept decoded value; if copying fails (a codec type's clone), the entry is no
   * longer kept and its stored text is decoded instead, as without keepDecoded.
   */
  private copy(entryKey: string, raw: string, kept: Remembered): unknown {
    try {
      return this.codec.clone(kept.value)
    } catch (error) {
      this.decoded!.delete(entryKey)
      this.access.report(
        new CodecError(`Copying a kept entry failed: ${(error as Error)?.message ?? error}`, {
          cause: error,
        }),
        'decode',
        undefined,
      )
      return this.decode(raw, kept.entry)
    }
  }

  /**
   * The head of the entry in `raw`, verified first when entries are signed; throws when it is not
   * one of ours. Its `payloadStart` indexes `raw` itself (past a signature).
   */
  private parseHead(entryKey: string, raw: string): EntryHead {
    const text = this.signer ? this.signer.verify(entryKey, raw) : unsigned(raw)
    const head = parseEntryHead(text)
    head.payloadStart += raw.length - text.length
    return head
  }

  /** The decoded payload of the entry in `raw` whose head is `head`. */
  private decode(raw: string, head: EntryHead): unknown {
    return decodePayload(this.codec, head.tagged, parsePayload(raw, head))
  }

  private dead(entryKey: string, head: EntryHead): EntryRead {
    this.decoded?.delete(entryKey)
    return { state: 'dead', model: head.model ?? undefined }
  }

  async write(
    entryKey: string,
    userKey: string,
    encoded: Encoded,
    o: ResolvedEntryOptions,
    recorded: string[],
  ): Promise<boolean> {
    const prepared = this.prepare(entryKey, userKey, encoded, o, recorded)
    return prepared ? this.store(prepared) : false
  }

  /**
   * The stored text of an entry, at once; undefined when it is larger than maxEntryBytes
   * (counted as skipped).
   */
  prepare(
    entryKey: string,
    userKey: string,
    encoded: Encoded,
    o: ResolvedEntryOptions,
    recorded: string[],
  ): PreparedEntry | undefined {
    const started = this.telemetry.setStart()
    const now = Date.now()
    const expiresAt = o.ttl === null ? null : now + o.ttl * 1000
    const staleUntil = expiresAt === null || o.swr === 0 ? null : expiresAt + o.swr * 1000
    const fields = {
      userKey,
      model: o.models[0] ?? null,
      dependencies: o.dependencies,
      tokens: recorded,
      expiresAt,
      staleUntil,
    }
    const headText = entryHeadText(fields, encoded.tagged)
    const serialized = `${headText}${encoded.json}]`
    const raw = this.signer ? this.signer.sign(entryKey, serialized) : serialized
    // length is a lower bound of the UTF-8 size; only measure exactly when it could matter
    if (raw.length > this.maxEntryBytes / 3 && Buffer.byteLength(raw) > this.maxEntryBytes) {
      this.counters.count('skipped')
      return undefined
    }
    const ttlMs =
      staleUntil !== null ? staleUntil - now : expiresAt !== null ? expiresAt - now : undefined
    const head: EntryHead = {
      ...fields,
      tagged: encoded.tagged,
      // `…,payload]`, after any signature
      payloadStart: raw.length - encoded.json.length - 1,
    }
    return {
      entryKey,
      userKey,
      raw,
      head,
      headText,
      ttlMs,
      started,
      model: o.models[0],
      ttl: o.ttl,
    }
  }

  /**
   * Heads of entries this process wrote, unsigned ones only (a signed entry is verified whole on
   * every first read), by entry key, with their text: reading an entry back whose text starts
   * with it needs no parse. The most recent WRITTEN_ENTRIES; head texts only, never payloads.
   */
  private readonly written = new Map<string, { text: string; head: EntryHead }>()

  private rememberWritten(p: PreparedEntry): void {
    if (this.signer) return
    this.written.delete(p.entryKey)
    this.written.set(p.entryKey, { text: p.headText, head: p.head })
    if (this.written.size > WRITTEN_ENTRIES) this.written.delete(this.written.keys().next().value!)
  }

  /** Writes a prepared entry; false when the store failed (reported). */
  async store(p: PreparedEntry): Promise<boolean> {
    const ok = await this.access.tryStore('set', p.userKey, () =>
      this.access.driver.set(p.entryKey, p.raw, p.ttlMs).then(() => true),
    )
    if (!ok) return false
    this.rememberWritten(p)
    this.counters.count('sets')
    this.telemetry.set(p.started, p.userKey, p.model, p.raw.length, p.ttl)
    return true
  }

  /** Results waiting to be encoded after their callers have run (`later`). */
  private readonly queued: (() => void)[] = []
  private draining = false

  /**
   * Whether one more result may wait to be encoded behind its caller. A loop of misses that never
   * yields to the event loop would otherwise pile up results; past MAX_QUEUED they are encoded
   * before their callers get them, as they always were, so the memory they hold stays bounded.
   */
  canWaitToEncode(): boolean {
    return this.queued.length < MAX_QUEUED
  }

  /** Whether the store's owner has closed it since (see StoreDriver.closedByOwner). */
  storeClosedByOwner(): boolean {
    return this.access.driver.closedByOwner?.() === true
  }

  /**
   * Runs `job` once the callers waiting on results now have run: a macrotask later, or sooner
   * when a read of its key, `flush()` or `close()` needs it done (`encodeQueued`), so nothing
   * hangs on a macrotask that fake timers never run.
   */
  later<T>(job: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push(() => {
        try {
          resolve(job())
        } catch (error) {
          reject(error)
        }
      })
      if (this.draining) return
      this.draining = true
      try {
        setImmediate(() => this.encodeQueued())
      } catch {
        this.encodeQueued()
      }
    })
  }

  /** Runs every job `later` holds, now. */
  encodeQueued(): void {
    this.draining = false
    for (const run of this.queued.splice(0)) run()
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
    this.encodeQueued()
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

  /**
   * A private copy of a query's result, to encode after its caller has it (`Codec.snapshot`);
   * NO_SNAPSHOT when it holds anything the copy would not keep exactly: encode it now instead.
   */
  snapshot(value: unknown): unknown {
    try {
      return this.codec.snapshot(value)
    } catch {
      return NO_SNAPSHOT
    }
  }

  /**
   * A joined caller's own copy of a flight's result; NO_COPY when none can be made (a codec
   * type failing to copy or decode), and the caller runs its own query instead.
   */
  ownCopy(userKey: string, shared: FlightResult): unknown {
    try {
      if (shared.snapshot !== NO_SNAPSHOT) {
        try {
          return this.codec.clone(shared.snapshot)
        } catch {
          // a codec type's clone failed: through its encoding instead, as a stored entry would
          const encoded = this.codec.encode(shared.snapshot)
          return this.codec.decode(encoded.json, encoded.tagged)
        }
      }
      if (shared.encoded) return this.codec.decode(shared.encoded.json, shared.encoded.tagged)
      // nothing to copy it from: the value could not be cached, and is not shared either
      return NO_COPY
    } catch (error) {
      this.access.report(error, 'decode', userKey)
      return NO_COPY
    }
  }
}
