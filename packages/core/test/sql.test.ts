import { describe, expect, it } from 'vitest'
import {
  isLockingRead,
  rawWriteEffect,
  splitSqlIdentifier,
  sqlReadings,
  sqlWrites,
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

  it('keywords inside literals and comments are not statements', () => {
    expect(sqlWrites("SELECT 'delete from users' -- update posts set x = 1")).toMatchObject({
      tables: [],
      readOnly: true,
    })
  })
})

// What each form hides or shows, per dialect: `users` when the UPDATE after it runs (a write the
// reader must see), `null` when the database runs no write (the text is a read or a syntax error).
const TAIL = "; UPDATE users SET name = 'x'"
describe.each<[string, Record<'postgresql' | 'mysql' | 'sqlite', 'users' | null>]>([
  // an apostrophe in a comment must not open a literal that swallows the next statement
  ["SELECT 1 -- it's\n", { postgresql: 'users', mysql: 'users', sqlite: 'users' }],
  ["SELECT 1 /* it's */", { postgresql: 'users', mysql: 'users', sqlite: 'users' }],
  // `#` is a comment in MySQL only
  ["SELECT 1 # it's\n", { postgresql: null, mysql: 'users', sqlite: null }],
  ['SELECT 1 # ; DELETE FROM posts\n', { postgresql: 'users', mysql: 'users', sqlite: 'users' }],
  // MySQL: `--` is a comment only before whitespace; 1--1 is 1 - -1
  ['SELECT 1--1', { postgresql: null, mysql: 'users', sqlite: null }],
  // quoted identifiers (and MySQL "…" strings) may hold quotes and semicolons
  ["SELECT `it's; x`", { postgresql: 'users', mysql: 'users', sqlite: 'users' }],
  ['SELECT "it\'s; x"', { postgresql: 'users', mysql: 'users', sqlite: 'users' }],
  ["SELECT [it's; x]", { postgresql: null, mysql: null, sqlite: 'users' }],
  // a `--` or `;` inside a literal is data
  ["SELECT '--'", { postgresql: 'users', mysql: 'users', sqlite: 'users' }],
  // (MySQL 9 has $$ strings too)
  ["SELECT $$ it's; $$", { postgresql: 'users', mysql: 'users', sqlite: null }],
  // PostgreSQL block comments nest; MySQL's and SQLite's do not
  ["SELECT 1 /* a /* b */ it's */", { postgresql: 'users', mysql: null, sqlite: null }],
  // MySQL runs the body of /*! … */; a /*! inside one does not nest
  ['/*!50001 DELETE FROM users */ SELECT 1', { postgresql: null, mysql: 'users', sqlite: null }],
  ['/*! /*! DELETE FROM users */', { postgresql: null, mysql: 'users', sqlite: null }],
  ['/*!50000 /*!50000 DELETE FROM users */', { postgresql: null, mysql: 'users', sqlite: null }],
])('%j then an UPDATE', (head, expected) => {
  it.each(['postgresql', 'mysql', 'sqlite'] as const)('%s', (dialect) => {
    const text = head.startsWith('/*!') ? head : head + TAIL
    const found = rawWriteEffect(text, (id) => [id], dialect)
    if (expected[dialect] === null) expect(found).toBeNull()
    else expect([...(found?.written ?? ['<everything>'])]).toContain(expected[dialect])
  })
  it('without a dialect, as every dialect could read it', () => {
    const text = head.startsWith('/*!') ? head : head + TAIL
    const anyWrites = Object.values(expected).some((t) => t !== null)
    const found = rawWriteEffect(text, (id) => [id])
    if (anyWrites) expect(found).not.toBeNull()
  })
})

describe('PostgreSQL lexical rules', () => {
  it.each([
    // a -- comment ends at a carriage return too
    ['WITH a AS (SELECT 1) --x\r, d AS (DELETE FROM users RETURNING 1) SELECT 1'],
    // an E'' literal continued after a newline keeps its backslash escapes
    [
      "WITH x AS (SELECT E''\n'\\'' AS a, '\\' AS b), d AS (DELETE FROM users RETURNING 1) SELECT ''",
    ],
  ])('%j writes users', (text) => {
    expect(sqlWrites(text, 'postgresql').tables).toContain('users')
    expect(sqlWrites(text).readOnly).toBe(false)
  })
})

describe('settings the reader cannot see: every reading counts', () => {
  // with backslash escapes (MySQL's default, PostgreSQL's E'…') the literal ends at the last
  // quote; with NO_BACKSLASH_ESCAPES / standard strings it ends at \' and the UPDATE runs
  it.each([
    ['mysql', "SELECT 'a\\'; UPDATE users SET name = 1 -- '"],
    ['postgresql', "SELECT 'a\\'; UPDATE users SET name = 1 -- '"],
  ])('%s: %s', (dialect, text) => {
    expect(sqlReadings(text, dialect).length).toBeGreaterThan(1)
    expect(sqlWrites(text, dialect).tables).toEqual(['users'])
  })
  it("PostgreSQL's E'…' always has backslash escapes", () => {
    expect(sqlWrites("SELECT E'a\\'; UPDATE users SET name = 1 -- '", 'postgresql')).toMatchObject({
      tables: [],
      readOnly: true,
    })
  })
  it('readings that disagree around a backslash and a quote: everything', () => {
    expect(sqlWrites("SELECT 'it\\'s'", 'mysql')).toMatchObject({ unknown: true, readOnly: false })
  })
  it("MySQL 9's $$ strings", () => {
    expect(sqlWrites("WITH x AS (SELECT $$'$$) DELETE FROM users -- '", 'mysql').tables).toEqual([
      'users',
    ])
  })
  it('SQLite has no backslash escapes: one reading', () => {
    expect(sqlReadings("SELECT 'a\\'; UPDATE users SET name = 1", 'sqlite')).toEqual([
      ["SELECT ''", ' UPDATE users SET name = 1'],
    ])
  })
})

it('splitSqlIdentifier and isLockingRead', () => {
  expect(splitSqlIdentifier('"My Schema"."Posts"')).toEqual([
    { name: 'My Schema', quoted: true },
    { name: 'Posts', quoted: true },
  ])
  expect(isLockingRead('select 1 /* for update */')).toBe(false)
  expect(isLockingRead("select 'for update'", 'postgresql')).toBe(false)
  expect(isLockingRead('select * from t # for update', 'mysql')).toBe(false)
  expect(isLockingRead('select * from t for no key update')).toBe(true)
})
