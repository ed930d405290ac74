/**
 * Reading raw SQL text, for the adapters' raw-statement invalidation: which tables a statement
 * writes, and whether it can be told at all. Conservative — a statement it cannot place is
 * `unknown`, and the caller then invalidates everything. Literals, comments and statement ends
 * are found by `sqlReadings` (sql-lex.ts), per dialect.
 */
import { sqlReadings } from './sql-lex.js'

export { type SqlDialect, sqlDialectOf, sqlReadings } from './sql-lex.js'

/** One identifier as written: `t`, `"T"`, `` `t` ``, `[t]`. */
export const SQL_IDENTIFIER = String.raw`(?:"(?:[^"]|"")*"|\x60(?:[^\x60]|\x60\x60)*\x60|\[[^\]]*\]|[A-Za-z_][\w$]*)`
const IDENT = SQL_IDENTIFIER
/** A table name as written: `t`, `s.t`, `"S"."t"`, `db.s.t`. */
export const SQL_QUALIFIED_NAME = String.raw`${IDENT}(?:\s*\.\s*${IDENT}){0,2}`
const QUALIFIED = SQL_QUALIFIED_NAME

/**
 * SELECT … FOR UPDATE / FOR SHARE (and MySQL's LOCK IN SHARE MODE): never served from a cache.
 * True when any reading of the text locks.
 */
export function isLockingRead(sqlText: string, dialect?: string): boolean {
  return sqlReadings(sqlText, dialect).some((statements) =>
    /\bfor\s+(?:no\s+key\s+)?update\b|\bfor\s+(?:key\s+)?share\b|\block\s+in\s+share\s+mode\b/i.test(
      statements.join(';'),
    ),
  )
}

export interface SqlIdentifierPart {
  name: string
  quoted: boolean
}

/** `"public"."Posts"` → [{ name: 'public', quoted: true }, { name: 'Posts', quoted: true }]. */
export function splitSqlIdentifier(identifier: string): SqlIdentifierPart[] {
  const parts: SqlIdentifierPart[] = []
  const re = /"((?:[^"]|"")*)"|`((?:[^`]|``)*)`|\[([^\]]*)\]|([^."`[\]\s]+)/g
  for (const m of identifier.matchAll(re)) {
    if (m[1] !== undefined) parts.push({ name: m[1].replace(/""/g, '"'), quoted: true })
    else if (m[2] !== undefined) parts.push({ name: m[2].replace(/``/g, '`'), quoted: true })
    else if (m[3] !== undefined) parts.push({ name: m[3], quoted: true })
    else parts.push({ name: m[4]!, quoted: false })
  }
  return parts.length > 0 ? parts : [{ name: identifier, quoted: false }]
}

export interface SqlWrites {
  /** Names (as written) of the tables the SQL writes. */
  tables: string[]
  /** The truncated ones among them, and whether the TRUNCATE cascades to referencing tables. */
  truncated: string[]
  truncateCascades: boolean
  /** It may change data in ways not attributable to named tables (DDL, CALL, DO, …). */
  unknown: boolean
  /** It writes at all. */
  writes: boolean
  /** Every statement is recognisably read-only (SELECT, WITH, SHOW, BEGIN, …). */
  readOnly: boolean
}

const READ_ONLY_START =
  /^\s*(?:\(\s*)*(?:select|with|values|table|show|explain|describe|desc|pragma|set|reset|begin|start\s+transaction|commit|end|rollback|savepoint|release|listen|unlisten|notify|prepare|deallocate|discard|fetch|close|declare|move|analyze|checkpoint)\b/i

// MySQL/MariaDB statement modifiers, which come before the table name
const INSERT_MODIFIERS = String.raw`(?:(?:low_priority|delayed|high_priority|ignore)\s+)*`
const UPDATE_MODIFIERS = String.raw`(?:(?:low_priority|ignore)\s+)*`
const DELETE_MODIFIERS = String.raw`(?:(?:low_priority|quick|ignore)\s+)*`
// a word that can follow INSERT/REPLACE but is not a table name
const NOT_A_TABLE = String.raw`(?!(?:into|select|values|value|set|default)\b)`

const TARGETS: RegExp[] = [
  // SQLite INSERT OR …; MySQL modifiers, and INTO optional (INSERT t (…) VALUES, INSERT t SET …)
  new RegExp(
    String.raw`\binsert\s+(?:or\s+\w+\s+)?${INSERT_MODIFIERS}(?:into\s+)?${NOT_A_TABLE}(${QUALIFIED})`,
    'gi',
  ),
  new RegExp(
    String.raw`(?<!\bor\s+)\breplace\s+(?:(?:low_priority|delayed)\s+)?(?:into\s+)?${NOT_A_TABLE}(${QUALIFIED})`,
    'gi',
  ),
  new RegExp(String.raw`\bmerge\s+into\s+(${QUALIFIED})`, 'gi'),
  new RegExp(
    String.raw`(?<!\bfor\s+(?:no\s+key\s+)?)(?<!\bon\s+)(?<!\bdo\s+)(?<!\bkey\s+)\bupdate\s+(?:or\s+\w+\s+)?${UPDATE_MODIFIERS}(?:only\s+)?(${QUALIFIED})(?:\s+(?:as\s+)?${IDENT})?\s+set\b`,
    'gi',
  ),
  new RegExp(String.raw`\bdelete\s+${DELETE_MODIFIERS}from\s+(?:only\s+)?(${QUALIFIED})`, 'gi'),
  new RegExp(
    String.raw`\b(?:alter|drop)\s+(?:table|view|materialized\s+view)\s+(?:if\s+exists\s+)?(?:only\s+)?(${QUALIFIED})`,
    'gi',
  ),
  new RegExp(
    String.raw`\brefresh\s+materialized\s+view\s+(?:concurrently\s+)?(${QUALIFIED})`,
    'gi',
  ),
]
const TRUNCATE_ONE = new RegExp(String.raw`\btruncate\s+(?:table\s+)?(?:only\s+)?${QUALIFIED}`, 'i')
const TRUNCATE = new RegExp(
  String.raw`\btruncate\s+(?:table\s+)?(?:only\s+)?(${QUALIFIED}(?:\s*,\s*(?:only\s+)?${QUALIFIED})*)`,
  'gi',
)

/**
 * The tables SQL text (possibly several statements) writes: INSERT INTO, UPDATE … SET, DELETE
 * FROM, TRUNCATE, ALTER/DROP TABLE, REPLACE INTO, MERGE INTO, REFRESH MATERIALIZED VIEW. Names
 * are as written. Keywords in literals and comments are not read; where the dialect's settings
 * allow several readings (see `sqlReadings`), the answer covers all of them: a table any reading
 * names is named, and the text is read-only only if every reading is.
 */
export function sqlWrites(sqlText: string, dialect?: string): SqlWrites {
  const statements = sqlReadings(sqlText, dialect)
  const readings = statements.map(writesOf)
  if (readings.length === 1) return readings[0]!
  // readings that disagree around a backslash: a server setting or a rule the reader does not
  // model could pair the quotes yet another way, so nothing the readings say can be trusted
  const ambiguous = /\\['"]|['"]\\/.test(sqlText)
  const union = (pick: (w: SqlWrites) => string[]) => [...new Set(readings.flatMap(pick))]
  return {
    tables: union((w) => w.tables),
    truncated: union((w) => w.truncated),
    truncateCascades: readings.some((w) => w.truncateCascades),
    unknown: ambiguous || readings.some((w) => w.unknown),
    writes: ambiguous || readings.some((w) => w.writes),
    readOnly: !ambiguous && readings.every((w) => w.readOnly),
  }
}

/** sqlWrites of one reading: statements with literals emptied and comments blanked. */
function writesOf(statements: string[]): SqlWrites {
  const text = statements.join(';\n')
  const tables: string[] = []
  const truncated: string[] = []
  let unknown = false
  let readOnly = true
  for (const re of TARGETS) for (const m of text.matchAll(re)) tables.push(m[1]!)
  for (const m of text.matchAll(TRUNCATE)) {
    for (const id of m[1]!.split(/\s*,\s*/)) truncated.push(id.replace(/^only\s+/i, ''))
  }
  tables.push(...truncated)
  // MySQL multi-table DELETE t1, t2 FROM …, UPDATE t1 JOIN t2 SET …: be conservative
  if (
    new RegExp(
      String.raw`\bdelete\s+${DELETE_MODIFIERS}(?!(?:from|low_priority|quick|ignore)\b)`,
      'i',
    ).test(text) ||
    /\bupdate\s+[^;]*?\bjoin\b[^;]*?\bset\b/i.test(text) ||
    // MySQL multi-table UPDATE t1, t2 SET …
    new RegExp(
      String.raw`\bupdate\s+${UPDATE_MODIFIERS}${QUALIFIED}(?:\s+(?:as\s+)?${IDENT})?\s*,`,
      'i',
    ).test(text)
  ) {
    unknown = true
  }
  for (const statement of statements) {
    if (statement.trim() === '') continue
    if (READ_ONLY_START.test(statement)) continue
    readOnly = false
    if (/^\s*(?:insert|update|delete|replace|merge|truncate|refresh)\b/i.test(statement)) {
      // a write whose table the reader cannot find must never count as no write
      if (
        !TARGETS.some((re) => new RegExp(re.source, 'i').test(statement)) &&
        !TRUNCATE_ONE.test(statement)
      )
        unknown = true
      continue
    }
    if (
      /^\s*create\s+(?:temp|temporary|unique\s+)?(?:table|index|sequence|type|schema|extension|unique)\b/i.test(
        statement,
      )
    )
      continue // creating something new does not change cached results of existing tables
    unknown = true // DDL, CALL, DO, COPY, VACUUM, …: could change anything
  }
  return {
    tables,
    truncated,
    truncateCascades: truncated.length > 0 && /\bcascade\b/i.test(text),
    unknown,
    writes: tables.length > 0 || unknown,
    readOnly: readOnly && tables.length === 0 && !unknown,
  }
}
