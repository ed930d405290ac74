import type { Encoded } from './codec.js'
import { type Entries, NO_SNAPSHOT } from './entries.js'
import { sameItems } from './options.js'
import type { ResolvedEntryOptions } from './resolved-options.js'
import type { Tokens } from './tokens.js'

export interface FlightResult {
  value: unknown
  /** A private copy of `value` (Entries.snapshot), for joined callers and the entry written later. */
  snapshot: unknown
  /** When there is no snapshot: the value encoded at once (undefined: it cannot be cached). */
  encoded: Encoded | undefined
}

export interface Flight {
  userKey: string
  dependencies: string[]
  /** Token values read before the flight began (undefined: the store could not be read). */
  observed: (string | undefined)[] | undefined
  /**
   * Token values the entry will be stored with (missing tokens filled in), chosen when the flight
   * began, while their writes are on their way; cleared if one of them failed.
   */
  intended: string[] | undefined
  /** `intended`, once every token it created is written (undefined until then, or if one failed). */
  recorded: string[] | undefined
  /** Set when an invalidation or delete made this flight's result unfit to store or to join. */
  detached: boolean
  promise: Promise<FlightResult>
  /** Once the query has returned: settles when its entry is stored (or was not). */
  stored: Promise<unknown> | undefined
  /** Once the query has returned: when its entry expires (epoch ms; Infinity: never). */
  freshUntil: number
}

/** Single-flight: at most one query per entry key in this process, shared only when safe. */
export class Flights {
  private readonly flights = new Map<string, Flight>()

  constructor(
    private readonly tokens: Tokens,
    private readonly entries: Entries,
  ) {}

  has(entryKey: string): boolean {
    return this.flights.has(entryKey)
  }

  /**
   * The finished flight for `entryKey` whose entry is on its way to the store, if any. Its entry,
   * if still to be encoded, is encoded and its write issued now, so a read that follows finds
   * it; a result that turns out too large to store releases its flight here, and is not shared.
   */
  settle(entryKey: string): Flight | undefined {
    const flight = this.flights.get(entryKey)
    if (!flight?.stored) return undefined
    this.entries.encodeQueued()
    // encoding it may have found nothing to store, and released it
    return this.flights.get(entryKey) === flight ? flight : undefined
  }

  /** Like `settle`, and settles once that entry is stored; undefined when there is none. */
  storing(entryKey: string): Promise<unknown> | undefined {
    return this.settle(entryKey)?.stored
  }

  /**
   * The result a caller that just read `observed` may share, if any. Join only a flight that began
   * under those tokens: if a write was invalidated since it began (here or in another process),
   * its result may predate that write. When the store could not be read, nothing proves that, so
   * the caller runs its own query.
   */
  joinable(entryKey: string, observed: (string | undefined)[] | undefined): Flight | undefined {
    const flight = this.flights.get(entryKey)
    return flight && canJoin(flight, observed) ? flight : undefined
  }

  start(
    entryKey: string,
    userKey: string,
    fn: () => unknown,
    o: ResolvedEntryOptions,
    observed: (string | undefined)[] | undefined,
  ): Promise<FlightResult> {
    // Tokens are fixed before the query runs: a write that commits while it runs rotates them.
    const intent = observed ? this.tokens.intend(o.dependencies, observed) : undefined
    const flight: Flight = {
      userKey,
      dependencies: o.dependencies,
      observed,
      intended: intent?.tokens,
      recorded: undefined,
      detached: false,
      promise: undefined as never,
      stored: undefined,
      freshUntil: 0,
    }
    const release = () => {
      if (this.flights.get(entryKey) === flight) this.flights.delete(entryKey)
    }
    flight.promise = (async () => {
      let stored: Promise<boolean> | undefined
      try {
        const recorded = intent ? await intent.written : undefined
        flight.recorded = recorded
        // a token whose write failed may still land later, over a newer one: a reader that finds
        // it then must not join this flight (while the writes were pending, joining was safe: the
        // query starts only after they settle, so after that reader began)
        if (recorded === undefined) flight.intended = undefined
        const value = await fn()
        // Write-behind: the caller has its result now; the entry is encoded and stored after,
        // from a copy taken now, so what the caller then does to its result is not cached. The
        // entry records the tokens read before the query ran, so if a write lands first it is
        // born dead. Callers that arrive meanwhile join this flight instead of running the query.
        const snapshot = this.entries.canWaitToEncode() ? this.entries.snapshot(value) : NO_SNAPSHOT
        // a result the copy could not keep exactly (or one past the queue's bound) is encoded
        // now, from the result itself, as it always was (failures reported now)
        const encoded = snapshot === NO_SNAPSHOT ? this.entries.encode(userKey, value) : undefined
        const result: FlightResult = { value, snapshot, encoded }
        if (recorded && !flight.detached) {
          if (snapshot !== NO_SNAPSHOT)
            // written even if a write detaches the flight meanwhile: its entry is then born
            // dead, and delete()/clear() wait for it (flush) and remove it
            stored = this.entries.later(() => {
              const later = this.entries.storeClosedByOwner()
                ? undefined
                : this.entries.encode(userKey, snapshot)
              const prepared = later && this.entries.prepare(entryKey, userKey, later, o, recorded)
              if (prepared) {
                // callers joining from now on decode the entry text: the copy is let go
                result.encoded = later
                result.snapshot = NO_SNAPSHOT
                return this.entries.store(prepared)
              }
              // nothing will be stored (too large, not encodable, store closed): from now on
              // nobody joins this flight, they run their own query, as with no flight at all
              flight.stored = undefined
              release()
              return false
            })
          else if (encoded) stored = this.entries.write(entryKey, userKey, encoded, o, recorded)
        }
        flight.freshUntil = o.ttl === null ? Number.POSITIVE_INFINITY : Date.now() + o.ttl * 1000
        // never rejects: store failures are reported by the write itself; not set when the write
        // already found nothing to store and released the flight (a job run at once)
        if (this.flights.get(entryKey) === flight)
          flight.stored = stored?.then(
            () => undefined,
            () => undefined,
          )
        return result
      } finally {
        if (stored) this.entries.behind(stored.finally(release))
        else release()
      }
    })()
    this.flights.set(entryKey, flight)
    return flight.promise
  }

  /** Detached flights still finish for their callers but store nothing and take no joiners. */
  detach(match: (flight: Flight, entryKey: string) => boolean): void {
    for (const [entryKey, flight] of this.flights) {
      if (match(flight, entryKey)) {
        flight.detached = true
        this.flights.delete(entryKey)
      }
    }
  }
}

/** Whether a caller that just read `observed` may share `flight`'s result (see `joinable`). */
export function canJoin(flight: Flight, observed: (string | undefined)[] | undefined): boolean {
  if (flight.detached || observed === undefined) return false
  // a finished query is shared only within the TTL its entry is stored with
  if (flight.stored !== undefined && Date.now() >= flight.freshUntil) return false
  // once the flight has fixed the tokens it records, only those count: tokens it saw missing
  // and created may since have been rotated by another process and then evicted, and a read
  // that finds them missing again must not share a result from before that invalidation
  if (flight.recorded !== undefined) return sameTokens(observed, flight.recorded)
  // until then, a read from before the flight created missing tokens, or one that found the
  // tokens it is creating (a local store has them at once): both are what it records
  return sameTokens(observed, flight.observed) || sameTokens(observed, flight.intended)
}

function sameTokens(
  a: readonly (string | undefined)[],
  b: readonly (string | undefined)[] | undefined,
): boolean {
  return b !== undefined && sameItems(a, b)
}
