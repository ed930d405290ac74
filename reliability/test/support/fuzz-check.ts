// The consistency checker of the fuzz. The database itself records the order of every row
// change: an AFTER trigger appends (txid, table, row, parent, value) to fuzz_audit, taking a
// sequence number while the row lock is held, so per row the audit order IS the commit order
// (a second writer of the row waits for the first to commit before its trigger fires), and
// rolled-back changes leave no audit rows. Each write of a worker stamps the rows it sets with a
// tag unique to that write (`w<worker>o<op>`), and logs the rows it deleted explicitly; so every
// audit row — cascades and SET NULLs included, through its txid — belongs to exactly one logged
// write, whose promise resolved at a known time.
//
// A read that STARTED at t and observed a row in state p (a value, "deleted" or "not yet
// inserted") is stale if the row has a later state (after p in commit order) produced by a write
// whose promise resolved before t. Observations of different rows are checked separately, so
// reads made of several SQL statements (Prisma includes) are judged correctly, and concurrent
// writes whose commit order is unknown to the workers never produce a false alarm.

export type Table = 'posts' | 'comments' | 'users' | 'profiles'

/** What a read saw. */
export type Observation =
  /** one row: its state value (see stateValue) or null when the read found it absent */
  | { k: 'row'; t: Table; id: number; v: string | null }
  /** the complete set of rows of `t` whose parent is `parent` (null: the whole table) */
  | { k: 'set'; t: Table; parent: number | null; ids: number[] }
  /** the number of such rows */
  | { k: 'count'; t: Table; parent: number | null; n: number }

export interface ReadLog {
  worker: string
  op: number
  kind: string
  start: number
  end: number
  obs: Observation[]
}

export interface WriteLog {
  worker: string
  op: number
  kind: string
  tag: string
  start: number
  end: number
  ok: boolean
  error?: string
  /** rows this write deleted itself (cascades are found through the txid) */
  deletes: [Table, number][]
}

export interface AuditRow {
  seq: number
  txid: string
  tbl: Table
  row_id: number
  parent: number | null
  value: string | null
}

/** The value a row's state is compared by; the audit trigger computes the same string. */
export function stateValue(t: Table, row: Record<string, unknown>): string {
  const opt = (v: unknown) => (v === null || v === undefined ? '-' : String(v))
  switch (t) {
    case 'posts':
      return `${row.title}|${opt(row.authorId)}`
    case 'comments':
      return `${row.body}|${opt(row.authorId)}`
    case 'users':
      return `${row.name ?? ''}|${opt(row.invitedById)}`
    case 'profiles':
      return String(row.bio)
  }
}

export const AUDIT_SQL = `
CREATE TABLE fuzz_audit (
  seq bigserial PRIMARY KEY,
  txid bigint NOT NULL DEFAULT txid_current(),
  tbl text NOT NULL,
  row_id int NOT NULL,
  parent int,
  value text
);
${(
  [
    ['posts', `NEW.title || '|' || coalesce(NEW.author_id::text, '-')`, 'NULL'],
    ['comments', `NEW.body || '|' || coalesce(NEW.author_id::text, '-')`, 'r.post_id'],
    ['users', `coalesce(NEW.name, '') || '|' || coalesce(NEW.invited_by_id::text, '-')`, 'NULL'],
    ['profiles', 'NEW.bio', 'r.user_id'],
  ] as const
)
  .map(
    ([t, value, parent]) => `
CREATE FUNCTION fuzz_audit_${t}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r ${t}%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN
    r := OLD;
    INSERT INTO fuzz_audit (tbl, row_id, parent, value) VALUES ('${t}', r.id, ${parent}, NULL);
  ELSE
    r := NEW;
    INSERT INTO fuzz_audit (tbl, row_id, parent, value) VALUES ('${t}', r.id, ${parent}, ${value});
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER fuzz_audit_${t} AFTER INSERT OR UPDATE OR DELETE ON ${t}
  FOR EACH ROW EXECUTE FUNCTION fuzz_audit_${t}();`,
  )
  .join('\n')}
`

interface State {
  seq: number
  value: string | null
  resolvedAt: number
  write: WriteLog | undefined
}

export interface CheckResult {
  violations: string[]
  /** audit rows no logged write explains (must be 0, or the checker is blind to them) */
  unattributed: number
  observations: number
  /** observations a stale cache would have broken: some write on the row resolved before the read */
  contested: number
  /**
   * Near cache: stale reads by another process before the write's invalidation message reached
   * it (the window the README states). `violations` are the stale reads after that.
   */
  inWindow: number
}

export function checkHistory(
  audit: AuditRow[],
  writes: WriteLog[],
  reads: ReadLog[],
  seedMaxSeq: number,
  marginMs: number,
  /** Near cache: when each write's invalidation message reached each other worker (tag → worker → time). */
  arrivals?: ReadonlyMap<string, ReadonlyMap<string, number>>,
): CheckResult {
  const byTag = new Map(writes.map((w) => [w.tag, w]))
  const byDelete = new Map<string, WriteLog>()
  for (const w of writes) for (const [t, id] of w.deletes) byDelete.set(`${t}#${id}`, w)

  // txid -> the write it belongs to. Evidence: a row getting a tag it did not carry before
  // (a SET NULL cascade rewrites a row but keeps its old tag, so it is not evidence), or the
  // deletion of a row the write says it deleted.
  const txWrite = new Map<string, WriteLog | 'seed'>()
  const violations: string[] = []
  const lastTag = new Map<string, string | undefined>()
  for (const a of [...audit].sort((x, y) => x.seq - y.seq)) {
    const key = `${a.tbl}#${a.row_id}`
    const tag = a.value?.split('|')[0]
    const previous = lastTag.get(key)
    lastTag.set(key, tag)
    if (a.seq <= seedMaxSeq) {
      txWrite.set(a.txid, 'seed')
      continue
    }
    const w =
      tag !== undefined ? (tag !== previous ? byTag.get(tag) : undefined) : byDelete.get(key)
    if (!w) continue
    const prev = txWrite.get(a.txid)
    if (prev && prev !== w)
      violations.push(`checker: txid ${a.txid} claimed by two writes (${describe(prev)}, ${w.tag})`)
    txWrite.set(a.txid, w)
  }

  const rows = new Map<string, { parent: number | null; states: State[] }>()
  let unattributed = 0
  for (const a of [...audit].sort((x, y) => x.seq - y.seq)) {
    const owner = txWrite.get(a.txid)
    if (owner === undefined) unattributed++
    const key = `${a.tbl}#${a.row_id}`
    let row = rows.get(key)
    if (!row) {
      row = { parent: a.parent, states: [] }
      rows.set(key, row)
    }
    row.states.push({
      seq: a.seq,
      value: a.value,
      // an unexplained change is never assumed resolved (no false alarms from it)
      resolvedAt: owner === 'seed' ? 0 : (owner?.end ?? Number.POSITIVE_INFINITY),
      write: owner === 'seed' ? undefined : owner,
    })
  }

  /**
   * Judges every read, a state counting as visible to a read from `visible(state, read)` on:
   * when its write resolved, or (near cache) when that write's invalidation reached the reader.
   */
  const judge = (visible: (s: State, read: ReadLog) => number) => {
    const violations: string[] = []
    let observations = 0
    let contested = 0
    /** Checks that a row observed in state index p (-1: before its insert) was not stale. */
    const checkState = (read: ReadLog, key: string, p: number, seen: string) => {
      observations++
      const states = rows.get(key)!.states
      let newest: State | undefined
      let contestedHere = false
      for (let i = 0; i < states.length; i++) {
        const s = states[i]!
        if (visible(s, read) + marginMs < read.start) {
          if (s.write) contestedHere = true
          if (i > p && (!newest || s.seq > newest.seq)) newest = s
        }
      }
      if (contestedHere) contested++
      if (newest)
        violations.push(
          `${read.worker} op ${read.op} (${read.kind}, started ${fmt(read.start)}) saw ${key} = ${seen}, ` +
            `but ${newest.write ? describe(newest.write) : 'the seed'} had already resolved at ${fmt(newest.resolvedAt)} ` +
            `(${(read.start - newest.resolvedAt).toFixed(1)} ms earlier) setting it to ${newest.value ?? '<deleted>'}`,
        )
    }
    const absentIndex = (states: State[]) =>
      states.at(-1)?.value === null ? states.length - 1 : -1

    for (const read of reads) {
      for (const o of read.obs) {
        if (o.k === 'row') {
          const key = `${o.t}#${o.id}`
          const row = rows.get(key)
          if (!row) {
            if (o.v !== null)
              violations.push(
                `${read.worker} op ${read.op} saw ${key} = ${o.v}, a row that never existed`,
              )
            continue
          }
          if (o.v === null) {
            checkState(read, key, absentIndex(row.states), '<absent>')
            continue
          }
          const p = row.states.map((s) => s.value).lastIndexOf(o.v)
          if (p < 0) {
            violations.push(
              `${read.worker} op ${read.op} (${read.kind}) saw ${key} = ${o.v}, a value never committed (rolled back?)`,
            )
            continue
          }
          checkState(read, key, p, o.v)
        } else {
          const members = [...rows.entries()].filter(
            ([key, r]) => key.startsWith(`${o.t}#`) && (o.parent === null || r.parent === o.parent),
          )
          if (o.k === 'set') {
            const present = new Set(o.ids)
            for (const id of present)
              if (!rows.has(`${o.t}#${id}`))
                violations.push(
                  `${read.worker} op ${read.op} listed ${o.t}#${id}, a row that never existed`,
                )
            for (const [key, r] of members) {
              const id = Number(key.slice(o.t.length + 1))
              if (present.has(id)) {
                // present: any state but a deletion; stale if the delete had resolved
                const last = r.states.at(-1)!
                if (last.value === null) checkState(read, key, r.states.length - 2, '<present>')
              } else checkState(read, key, absentIndex(r.states), '<absent>')
            }
          } else {
            // bounds: rows surely there (inserted by a resolved write, never deleted) and rows
            // possibly there (inserted at some point, not deleted by a resolved write)
            let low = 0
            let high = 0
            for (const [, r] of members) {
              const first = r.states[0]!
              const last = r.states.at(-1)!
              const deleted = last.value === null
              if (visible(first, read) + marginMs < read.start && !deleted) low++
              if (!(deleted && visible(last, read) + marginMs < read.start)) high++
            }
            observations++
            if (o.n < low || o.n > high)
              violations.push(
                `${read.worker} op ${read.op} (${read.kind}, started ${fmt(read.start)}) counted ${o.n} ${o.t}` +
                  `${o.parent === null ? '' : ` of ${o.parent}`}, expected between ${low} and ${high}`,
              )
          }
        }
      }
    }
    return { violations, observations, contested }
  }

  const strict = judge((s) => s.resolvedAt)
  if (!arrivals)
    return {
      ...strict,
      violations: [...violations, ...strict.violations],
      unattributed,
      inWindow: 0,
    }
  // another process may still serve a near-cached copy until the write's message reaches it;
  // the writer itself, and writes whose message never arrived, get no such allowance
  const windowed = judge((s, read) => {
    if (!s.write || s.write.worker === read.worker) return s.resolvedAt
    const at = arrivals.get(s.write.tag)?.get(read.worker)
    return at === undefined ? s.resolvedAt : Math.max(s.resolvedAt, at)
  })
  return {
    ...strict,
    violations: [...violations, ...windowed.violations],
    unattributed,
    inWindow: strict.violations.length - windowed.violations.length,
  }
}

const describe = (w: WriteLog | 'seed') =>
  w === 'seed' ? 'the seed' : `${w.worker} op ${w.op} (${w.kind} ${w.tag})`
const fmt = (t: number) => new Date(t).toISOString().slice(11, 23) + (t % 1).toFixed(3).slice(1)
