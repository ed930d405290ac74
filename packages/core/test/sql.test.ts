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

  it.each<[string, string[]]>([
    // MySQL / MariaDB: statement modifiers before the table, INTO optional, INSERT … SET
    ["UPDATE IGNORE users SET name = 'x' WHERE id = 1", ['users']],
    ['UPDATE LOW_PRIORITY IGNORE `shop`.`users` SET name = ?', ['`shop`.`users`']],
    ["INSERT users (name) VALUES ('x')", ['users']],
    ["INSERT users SET name = 'x'", ['users']],
    ["INSERT LOW_PRIORITY INTO users (name) VALUES ('x')", ['users']],
    ["INSERT DELAYED users (name) VALUES ('x')", ['users']],
    ["INSERT HIGH_PRIORITY IGNORE INTO users (name) VALUES ('x')", ['users']],
    ["REPLACE users (id, name) VALUES (1, 'x')", ['users']],
    ["REPLACE LOW_PRIORITY INTO users SET id = 1, name = 'x'", ['users']],
    ['DELETE LOW_PRIORITY QUICK IGNORE FROM users WHERE id = 1', ['users']],
    // SQLite
    ["INSERT OR REPLACE INTO users (id, name) VALUES (1, 'x')", ['users']],
    ["REPLACE INTO users (id, name) VALUES (1, 'x')", ['users']],
    // PostgreSQL
    ['UPDATE ONLY users AS u SET name = $1', ['users']],
  ])('%s writes %j', (text, tables) => {
    const found = sqlWrites(text)
    expect(found.tables).toEqual(tables)
    expect(found).toMatchObject({ unknown: false, writes: true, readOnly: false })
  })

  it.each([
    'UPDATE users u, posts p SET u.name = p.title WHERE p.author_id = u.id',
    'UPDATE IGNORE users JOIN posts ON posts.author_id = users.id SET users.name = posts.title',
    'DELETE users, posts FROM users JOIN posts ON posts.author_id = users.id',
    'DELETE QUICK users FROM users WHERE id = 1',
    // a write keyword, and no table the reader can find: never "no write"
    'INSERT INTO (SELECT 1)',
    'UPDATE (SELECT 1) SET x = 1',
  ])('%s: a write it cannot name exactly is unknown (everything)', (text) => {
    expect(sqlWrites(text)).toMatchObject({ unknown: true, writes: true, readOnly: false })
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
