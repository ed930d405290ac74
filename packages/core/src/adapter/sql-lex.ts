/**
 * Reading SQL text the way a database splits it: string literals, quoted identifiers and comments
 * in one left-to-right pass, as each dialect defines them. Stripping comments and literals in
 * separate passes cannot be right: an apostrophe in a comment (`-- it's`) would open a literal
 * that swallows the next statement, and a `--` inside a literal would comment one out.
 *
 * Some of the syntax depends on server settings the reader cannot see (MySQL's
 * NO_BACKSLASH_ESCAPES and ANSI_QUOTES, PostgreSQL's standard_conforming_strings), so a dialect
 * has several readings and callers combine them conservatively: a table any reading names is
 * named. A dialect the reader does not know is read every way a known one could be.
 */

/** The dialects whose lexical rules the reader knows. */
export type SqlDialect = 'postgresql' | 'mysql' | 'sqlite'

interface Lexing {
  /** Backslash escapes in '…' literals: always, only in PostgreSQL's E'…', or never. */
  backslash: 'all' | 'e' | 'none'
  /** Backslash escapes in "…" (MySQL's default, where "…" is a string). */
  doubleQuoteBackslash: boolean
  /** `#` starts a comment (MySQL). */
  hashComments: boolean
  /** MySQL: `--` is a comment only before a space or control character; `/*! … *\/` is code. */
  mysqlComments: boolean
  /** PostgreSQL: block comments nest. */
  nestedComments: boolean
  /** PostgreSQL: $tag$ … $tag$ literals. */
  dollarQuotes: boolean
  /** SQLite (and SQL Server): [name] is an identifier. */
  brackets: boolean
  /** PostgreSQL: a `--` comment also ends at a carriage return. */
  commentEndsAtCR: boolean
  /** PostgreSQL: '…' after whitespace holding a newline continues the literal before it (E'…' too). */
  continuation: boolean
}

const MYSQL: Lexing = {
  backslash: 'all',
  doubleQuoteBackslash: true,
  hashComments: true,
  mysqlComments: true,
  nestedComments: false,
  dollarQuotes: false,
  brackets: false,
  commentEndsAtCR: false,
  continuation: false,
}
const POSTGRES: Lexing = {
  backslash: 'e',
  doubleQuoteBackslash: false,
  hashComments: false,
  mysqlComments: false,
  nestedComments: true,
  dollarQuotes: true,
  brackets: false,
  commentEndsAtCR: true,
  continuation: true,
}
const SQLITE: Lexing = {
  backslash: 'none',
  doubleQuoteBackslash: false,
  hashComments: false,
  mysqlComments: false,
  nestedComments: false,
  dollarQuotes: false,
  brackets: true,
  commentEndsAtCR: false,
  continuation: false,
}
/** SQL Server's rules, read only for dialects the reader does not know. */
const SQLSERVER: Lexing = { ...SQLITE, nestedComments: true }

const LEXINGS: Record<SqlDialect, Lexing[]> = {
  // ANSI_QUOTES ("…" an identifier, no escapes in it); NO_BACKSLASH_ESCAPES; MySQL 9's $$ strings
  mysql: [
    MYSQL,
    { ...MYSQL, doubleQuoteBackslash: false },
    { ...MYSQL, backslash: 'none', doubleQuoteBackslash: false },
    { ...MYSQL, dollarQuotes: true },
  ],
  // standard_conforming_strings = off
  postgresql: [POSTGRES, { ...POSTGRES, backslash: 'all' }],
  sqlite: [SQLITE],
}
const EVERY_LEXING = [...LEXINGS.mysql, ...LEXINGS.postgresql, ...LEXINGS.sqlite, SQLSERVER]

/** The dialect of a provider or driver name (`cockroachdb` reads as PostgreSQL, `mariadb` as MySQL). */
export function sqlDialectOf(name: string | undefined): SqlDialect | undefined {
  switch (name?.toLowerCase()) {
    case 'postgresql':
    case 'postgres':
    case 'pg':
    case 'cockroachdb':
      return 'postgresql'
    case 'mysql':
    case 'mariadb':
    case 'singlestore':
      return 'mysql'
    case 'sqlite':
    case 'libsql':
      return 'sqlite'
    default:
      return undefined
  }
}

/**
 * Every reading of `text` under `dialect`'s possible settings, each as its statements: literals
 * emptied to `''`, comments blanked, quoted identifiers kept as written, split at the semicolons
 * that end statements. Readings that agree are returned once.
 */
export function sqlReadings(text: string, dialect?: string): string[][] {
  const known = sqlDialectOf(dialect)
  const out: string[][] = []
  const seen = new Set<string>()
  for (const lexing of known ? LEXINGS[known] : EVERY_LEXING) {
    const statements = lex(text, lexing)
    const key = statements.join('\0')
    if (seen.has(key)) continue
    seen.add(key)
    out.push(statements)
  }
  return out
}

const SPECIAL = /['"`[$#;/-]/g
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y
const MYSQL_EXECUTABLE = /\/\*M?!\d*/y
const IDENT_CHAR = /[\w$\u0080-\uffff]/

function lex(text: string, l: Lexing): string[] {
  const statements: string[] = []
  let current = ''
  let from = 0 // start of the text not yet copied to `current`
  let inExecutable = false // inside MySQL's /*! … */, whose body runs
  let literalEnd = -1 // where the last '…' literal ended, and whether it had backslash escapes
  let literalBackslash = false
  const copy = (to: number) => {
    current += text.slice(from, to)
  }
  SPECIAL.lastIndex = 0
  for (let m = SPECIAL.exec(text); m; m = SPECIAL.exec(text)) {
    const i = m.index
    const c = text[i]!
    if (inExecutable && c === '/' && text[i - 1] === '*' && i - 1 >= from) {
      // the */ that closes an executable comment
      copy(i - 1)
      current += ' '
      from = i + 1
      inExecutable = false
      continue
    }
    if (c === ';') {
      copy(i)
      statements.push(current)
      current = ''
      from = i + 1
      continue
    }
    let end = -1 // where the token that starts at i ends; -1: no token starts here
    let replacement = ' '
    if (c === "'") {
      const gap = literalEnd < 0 ? '' : text.slice(literalEnd, i)
      const continues = l.continuation && literalEnd >= 0 && /^\s*[\n\r]\s*$/.test(gap)
      const backslash: boolean = continues
        ? literalBackslash
        : l.backslash === 'all' ||
          (l.backslash === 'e' &&
            /[eE]/.test(text[i - 1] ?? '') &&
            !IDENT_CHAR.test(text[i - 2] ?? ''))
      end = quotedEnd(text, i, "'", backslash)
      replacement = "''"
      literalEnd = end
      literalBackslash = backslash
    } else if (c === '"' || c === '`') {
      end = quotedEnd(text, i, c, c === '"' && l.doubleQuoteBackslash)
      replacement = text.slice(i, end)
    } else if (c === '[' && l.brackets) {
      const close = text.indexOf(']', i + 1)
      end = close < 0 ? text.length : close + 1
      replacement = text.slice(i, end)
    } else if (c === '$' && l.dollarQuotes && !IDENT_CHAR.test(text[i - 1] ?? '')) {
      DOLLAR_TAG.lastIndex = i
      const tag = DOLLAR_TAG.exec(text)?.[0]
      if (tag) {
        const close = text.indexOf(tag, i + tag.length)
        end = close < 0 ? text.length : close + tag.length
        replacement = "''"
      }
    } else if (
      (c === '-' &&
        text[i + 1] === '-' &&
        // MySQL: `--` starts a comment only before whitespace (`1--1` is 1 - -1)
        (!l.mysqlComments || i + 2 >= text.length || text.charCodeAt(i + 2) <= 32)) ||
      (c === '#' && l.hashComments)
    ) {
      end = lineEnd(text, i, l.commentEndsAtCR)
    } else if (c === '/' && text[i + 1] === '*') {
      MYSQL_EXECUTABLE.lastIndex = i
      const executable = l.mysqlComments ? MYSQL_EXECUTABLE.exec(text) : null
      if (executable) {
        // MySQL runs the body of /*! … */ (and MariaDB's /*M! … */): it is read as code. They
        // do not nest: a /*! inside one is dropped, and the first */ ends it
        inExecutable = true
        end = i + executable[0].length
      } else end = blockCommentEnd(text, i, l.nestedComments)
    }
    if (end < 0) continue
    copy(i)
    current += replacement
    from = end
    SPECIAL.lastIndex = end
  }
  copy(text.length)
  statements.push(current)
  return statements
}

/** Where a line comment starting at `start` ends (PostgreSQL: at \r too). */
function lineEnd(text: string, start: number, atCR: boolean): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10 || (atCR && c === 13)) return i
  }
  return text.length
}

/** The end of a quoted token starting at `start` (the text's end when it is not closed). */
function quotedEnd(text: string, start: number, quote: string, backslash: boolean): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]
    if (backslash && c === '\\') i++
    else if (c === quote) {
      if (text[i + 1] === quote) i++
      else return i + 1
    }
  }
  return text.length
}

function blockCommentEnd(text: string, start: number, nested: boolean): number {
  let depth = 0
  for (let i = start; i < text.length - 1; i++) {
    if (text[i] === '/' && text[i + 1] === '*') {
      if (depth === 0 || nested) depth++
      i++
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--
      i++
      if (depth === 0) return i + 1
    }
  }
  return text.length
}
