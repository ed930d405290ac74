// Type-checked by `tsc --noEmit`, never run: a wrapped Drizzle 1.0 db keeps Drizzle's own types
// (results of selects and relational queries v2) and adds querycache's `$cache` and `$explain`;
// `@querycache/drizzle/drizzle1` types `$withCache` with querycache's options on every dialect.
import { withQueryCache } from '@querycache/drizzle/drizzle1'
import { drizzle } from 'drizzle-orm/libsql'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { mariadb as mysql, postgres, sqlite } from './databases.ts'

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

export function withCacheOnDrizzle1() {
  const lite = withQueryCache(drizzle({ connection: ':memory:', relations: sqlite.relations }))
  const liteRows: Promise<{ id: number; authorId: number; title: string }[]> = lite
    .select()
    .from(sqlite.posts)
    .$withCache({ ttl: 60, tags: ['posts'], key: 'all-posts' })
  const liteRelational: Promise<{ name: string; posts: { title: string }[] }[]> = lite.query.authors
    .findMany({ with: { posts: true } })
    .$withCache({ ttl: null, onInfo: (info) => info.result })
  const liteCount: Promise<number> = lite.$count(sqlite.posts).$withCache(false)
  // @ts-expect-error ttl is seconds (a number) or null
  lite.select().from(sqlite.posts).$withCache({ ttl: '60' })
  // Drizzle's own options still type-check (querycache's options include them)
  lite
    .select()
    .from(sqlite.posts)
    .$withCache({ tag: 'posts', config: { ex: 60 } })

  const pg = withQueryCache(
    drizzlePg('postgres://localhost/test', { relations: postgres.relations }),
  )
  const pgRows: Promise<{ id: number; name: string }[]> = pg
    .select()
    .from(postgres.authors)
    .$withCache({ ttl: 5 })
  const pgRelational = pg.query.posts.findFirst({ with: { author: true } }).$withCache({ ttl: 5 })
  const pgCount: Promise<number> = pg.$count(postgres.authors).$withCache({ tags: ['a'] })
  // @ts-expect-error tags are strings
  pg.$count(postgres.authors).$withCache({ tags: [1] })

  const my = withQueryCache(
    drizzleMysql('mysql://root@localhost/test', { relations: mysql.relations }),
  )
  const myRows: Promise<{ id: number; name: string }[]> = my
    .select()
    .from(mysql.authors)
    .$withCache(false)
  const myRelational = my.query.authors.findMany().$withCache({ ttl: 5 })
  const myCount: Promise<number> = my.$count(mysql.authors).$withCache({ ttl: 5 })
  return {
    liteRows,
    liteRelational,
    liteCount,
    pgRows,
    pgRelational,
    pgCount,
    myRows,
    myRelational,
    myCount,
  }
}
