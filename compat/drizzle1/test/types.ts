// Type-checked by `tsc --noEmit`, never run: a wrapped Drizzle 1.0 db keeps Drizzle's own types
// (results of selects and relational queries v2) and adds querycache's `$cache` and `$explain`.
import { withQueryCache } from '@querycache/drizzle'
import { drizzle } from 'drizzle-orm/libsql'
import { sqlite } from './databases.ts'

export function typesOnDrizzle1() {
  const db = withQueryCache(drizzle({ connection: ':memory:', relations: sqlite.relations }))
  const rows: Promise<{ id: number; authorId: number; title: string }[]> = db
    .select()
    .from(sqlite.posts)
  const withPosts: Promise<{ name: string; posts: { title: string }[] }[]> =
    db.query.authors.findMany({ with: { posts: true } })
  // @ts-expect-error a relation the schema does not declare
  db.query.authors.findMany({ with: { comments: true } })
  const explained: boolean = db.$explain(db.select().from(sqlite.authors)).cached
  const hits: number = db.$cache.stats().hits
  return { rows, withPosts, explained, hits }
}
