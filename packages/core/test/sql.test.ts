import { describe, expect, it } from 'vitest'
import {
  isLockingRead,
  splitSqlIdentifier,
  sqlWrites,
  stripSqlLiterals,
} from '../src/adapter/index.js'

describe('sqlWrites', () => {
  it('names every table a statement writes, as written', () => {
    expect(
      sqlWrites('UPDATE "public"."posts" p SET title = $1; DELETE FROM comments').tables,
    ).toEqual(['"public"."posts"', 'comments'])
    expect(
      sqlWrites('INSERT INTO tags (name) VALUES (?) ON CONFLICT DO UPDATE SET name = ?').tables,
    ).toEqual(['tags'])
    const t = sqlWrites('TRUNCATE TABLE ONLY a, "b" CASCADE')
    expect([t.truncated, t.truncateCascades]).toEqual([['a', '"b"'], true])
  })

  it('reads are read-only; what it cannot place is unknown; CREATE is neither', () => {
    expect(sqlWrites('SELECT * FROM posts FOR UPDATE')).toMatchObject({
      writes: false,
      readOnly: true,
    })
    expect(sqlWrites('CALL rename_tags()')).toMatchObject({ unknown: true, writes: true })
    expect(sqlWrites('UPDATE a JOIN b ON a.id = b.id SET a.x = 1')).toMatchObject({ unknown: true })
    expect(sqlWrites('CREATE INDEX i ON posts (title)')).toMatchObject({
      writes: false,
      readOnly: false,
    })
  })

  it('a keyword inside a literal only ever adds a name', () => {
    expect(sqlWrites("SELECT 'delete from users'").tables).toEqual(['users'])
  })
})

describe('stripSqlLiterals', () => {
  it('empties literals, and leaves text with backslashes alone (quotes may pair differently)', () => {
    expect(stripSqlLiterals("SELECT 'it''s; delete from x', $b$ drop table y $b$")).toBe(
      "SELECT '', ''",
    )
    const escaped = "UPDATE t SET a = E'x\\'y', b = 'z'; DELETE FROM users WHERE n = 'q'"
    expect(stripSqlLiterals(escaped)).toBe(escaped)
    expect(sqlWrites(stripSqlLiterals(escaped)).tables).toContain('users')
  })
})

it('splitSqlIdentifier and isLockingRead', () => {
  expect(splitSqlIdentifier('"My Schema"."Posts"')).toEqual([
    { name: 'My Schema', quoted: true },
    { name: 'Posts', quoted: true },
  ])
  expect(isLockingRead('select 1 /* for update */')).toBe(false)
  expect(isLockingRead('select * from t for no key update')).toBe(true)
})
