// Deterministic demo/benchmark data for the blog schema, inserted with plain SQL through the
// driver so Prisma and Drizzle examples start from the same rows.
import type { BlogDatabase } from './databases.ts'

export interface SeedSize {
  users: number
  posts: number
  comments: number
}

export const DEFAULT_SEED: SeedSize = { users: 200, posts: 2000, comments: 4000 }

const CATEGORIES = ['news', 'tech', 'science', 'sport', 'culture', 'travel', 'food', 'opinion']
const TAGS = Array.from({ length: 20 }, (_, i) => `tag-${i + 1}`)
const BATCH = 250

const q = (s: string) => `'${s.replaceAll("'", "''")}'`

/** Inserts `size` rows (ids from 1) and reports progress as rows written / total. */
export async function seedBlog(
  db: BlogDatabase,
  size: SeedSize = DEFAULT_SEED,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const mysql = db.provider === 'mysql'
  const at = (i: number) => {
    const iso = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()
    // MySQL's DATETIME takes no time zone designator
    return q(mysql ? iso.replace('T', ' ').replace('Z', '') : iso)
  }
  const ident = (name: string) => (mysql ? `\`${name}\`` : `"${name}"`)
  const statements: string[] = []
  const rows = (table: string, columns: string, values: string[]) => {
    for (let i = 0; i < values.length; i += BATCH)
      statements.push(
        `INSERT INTO ${table} (${columns}) VALUES ${values.slice(i, i + BATCH).join(', ')};`,
      )
  }
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
  rows(
    'users',
    'email, name, role, created_at, invited_by_id',
    range(size.users).map(
      (i) =>
        `(${q(`user${i}@example.com`)}, ${q(`User ${i}`)}, ${q(i === 1 ? 'ADMIN' : i % 5 === 0 ? 'AUTHOR' : 'READER')}, ${at(i)}, ${i > 1 ? Math.ceil(i / 2) : 'NULL'})`,
    ),
  )
  rows(
    'profiles',
    'bio, user_id',
    range(Math.ceil(size.users / 2)).map((i) => `(${q(`Bio of user ${i}`)}, ${i})`),
  )
  rows(
    'categories',
    'name',
    CATEGORIES.map((c) => `(${q(c)})`),
  )
  rows(
    'tags',
    'name',
    TAGS.map((t) => `(${q(t)})`),
  )
  rows(
    'posts',
    'title, published, views, rating, score, metadata, created_at, author_id',
    range(size.posts).map(
      (i) =>
        `(${q(`Post ${i}`)}, ${i % 3 === 0 ? (db.provider === 'sqlite' ? 0 : 'false') : db.provider === 'sqlite' ? 1 : 'true'}, ${i * 7}, ${(i % 50) / 10}, ${i / 3}, ${q(JSON.stringify({ words: 100 + (i % 900) }))}, ${at(i)}, ${1 + (i % size.users)})`,
    ),
  )
  rows(
    'comments',
    'body, created_at, post_id, author_id',
    range(size.comments).map(
      (i) =>
        `(${q(`Comment ${i}`)}, ${at(i)}, ${1 + (i % size.posts)}, ${1 + ((i * 7) % size.users)})`,
    ),
  )
  rows(
    'post_tags',
    'post_id, tag_id',
    range(size.posts).map((i) => `(${i}, ${1 + (i % TAGS.length)})`),
  )
  rows(
    ident('_CategoryToPost'),
    `${ident('A')}, ${ident('B')}`,
    range(size.posts).map((i) => `(${1 + (i % CATEGORIES.length)}, ${i})`),
  )

  const total = statements.length
  onProgress?.(0, total)
  for (const [i, sql] of statements.entries()) {
    await db.exec(sql)
    onProgress?.(i + 1, total)
  }
}
