// The fuzz checker on hand-written histories: it must flag exactly the stale reads.
import { describe, expect, test } from 'vitest'
import { type AuditRow, checkHistory, type ReadLog, type WriteLog } from './support/fuzz-check.ts'

const seed: AuditRow[] = [
  { seq: 1, txid: '10', tbl: 'posts', row_id: 1, parent: null, value: 'seed|1' },
  { seq: 2, txid: '10', tbl: 'comments', row_id: 7, parent: 1, value: 'c|1' },
]
const write = (
  tag: string,
  start: number,
  end: number,
  deletes: WriteLog['deletes'] = [],
): WriteLog => ({
  worker: 'w',
  op: 0,
  kind: 'k',
  tag,
  start,
  end,
  ok: true,
  deletes,
})
const read = (start: number, obs: ReadLog['obs']): ReadLog => ({
  worker: 'r',
  op: 0,
  kind: 'k',
  start,
  end: start + 1,
  obs,
})

describe('fuzz checker', () => {
  const audit: AuditRow[] = [
    ...seed,
    { seq: 3, txid: '11', tbl: 'posts', row_id: 1, parent: null, value: 'A|1' },
    { seq: 4, txid: '12', tbl: 'posts', row_id: 1, parent: null, value: 'B|1' },
  ]
  const writes = [write('A', 100, 110), write('B', 105, 120)]

  test('a read after both writes resolved must see the later commit', () => {
    const r = checkHistory(
      audit,
      writes,
      [read(130, [{ k: 'row', t: 'posts', id: 1, v: 'A|1' }])],
      2,
      1,
    )
    expect(r.violations).toHaveLength(1)
    expect(
      checkHistory(audit, writes, [read(130, [{ k: 'row', t: 'posts', id: 1, v: 'B|1' }])], 2, 1)
        .violations,
    ).toEqual([])
  })

  test('concurrent writes: a read between their resolutions may see either', () => {
    const r = checkHistory(
      audit,
      writes,
      [read(115, [{ k: 'row', t: 'posts', id: 1, v: 'A|1' }])],
      2,
      1,
    )
    expect(r.violations).toEqual([])
    const old = checkHistory(
      audit,
      writes,
      [read(115, [{ k: 'row', t: 'posts', id: 1, v: 'seed|1' }])],
      2,
      1,
    )
    expect(old.violations).toHaveLength(1)
  })

  test('values never committed, deleted rows, cascades and counts', () => {
    const del: AuditRow[] = [
      ...seed,
      { seq: 3, txid: '13', tbl: 'posts', row_id: 1, parent: null, value: null },
      { seq: 4, txid: '13', tbl: 'comments', row_id: 7, parent: 1, value: null },
    ]
    const w = [write('D', 100, 110, [['posts', 1]])]
    const at = (obs: ReadLog['obs']) => checkHistory(del, w, [read(200, obs)], 2, 1)
    expect(at([{ k: 'row', t: 'posts', id: 1, v: 'rolled-back|1' }]).violations).toHaveLength(1)
    expect(at([{ k: 'row', t: 'posts', id: 1, v: 'seed|1' }]).violations).toHaveLength(1)
    expect(at([{ k: 'row', t: 'posts', id: 1, v: null }]).violations).toEqual([])
    // the cascaded comment is attributed to the delete through its txid
    expect(at([{ k: 'set', t: 'comments', parent: 1, ids: [7] }]).violations).toHaveLength(1)
    expect(at([{ k: 'count', t: 'comments', parent: 1, n: 1 }]).violations).toHaveLength(1)
    expect(at([{ k: 'count', t: 'comments', parent: 1, n: 0 }]).violations).toEqual([])
    expect(at([]).unattributed).toBe(0)
  })

  test('near cache: stale reads by another process before the message arrived are counted apart, never after', () => {
    // write A (worker "w") resolved at 110; its message reached worker "r" at 120
    const arrivals = new Map([['A', new Map([['r', 120]])]])
    const one = [write('A', 100, 110)]
    const oneAudit = audit.slice(0, 3)
    const stale = (by: ReadLog) => checkHistory(oneAudit, one, [by], 2, 1, arrivals)
    const seen = (start: number, worker = 'r') => ({
      ...read(start, [{ k: 'row', t: 'posts', id: 1, v: 'seed|1' }]),
      worker,
    })
    expect(stale(seen(115))).toMatchObject({ violations: [], inWindow: 1 })
    expect(stale(seen(125))).toMatchObject({ inWindow: 0 })
    expect(stale(seen(125)).violations).toHaveLength(1)
    // the writer itself gets no window
    expect(stale(seen(115, 'w')).violations).toHaveLength(1)
    // nor does a reader the message never reached
    expect(stale(seen(115, 'other')).violations).toHaveLength(1)
    // counts too: the inserted-by-A comment is not yet visible to r at 115
    const insert: AuditRow[] = [
      ...seed,
      { seq: 3, txid: '11', tbl: 'comments', row_id: 8, parent: 1, value: 'A|1' },
    ]
    const count = (start: number) =>
      checkHistory(
        insert,
        one,
        [read(start, [{ k: 'count', t: 'comments', parent: 1, n: 1 }])],
        2,
        1,
        arrivals,
      )
    expect(count(115)).toMatchObject({ violations: [], inWindow: 1 })
    expect(count(125).violations).toHaveLength(1)
    // without arrivals (no near cache) nothing is excused
    expect(checkHistory(oneAudit, one, [seen(115)], 2, 1)).toMatchObject({ inWindow: 0 })
    expect(checkHistory(oneAudit, one, [seen(115)], 2, 1).violations).toHaveLength(1)
  })
})
