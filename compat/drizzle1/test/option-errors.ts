// Mistakes a user makes in `$withCache(...)` on Drizzle 1.0, one per `@ts-expect-error`. tsc
// checks that each is an error; option-errors.test.ts removes the comments and checks the text.
import { withQueryCache } from '@querycache/drizzle/drizzle1'
import { drizzle } from 'drizzle-orm/libsql'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { mariadb as mysql, postgres, sqlite } from './databases.ts'

export function mistakes() {
  const lite = withQueryCache(drizzle({ connection: ':memory:', relations: sqlite.relations }))
  // @ts-expect-error sqlite select: unknown option
  lite.select().from(sqlite.posts).$withCache({ tll: 5 })
  // @ts-expect-error sqlite select after where: ttl is seconds or null
  lite.select().from(sqlite.posts).where(undefined).$withCache({ ttl: '5' })
  // @ts-expect-error sqlite relational query: unknown option
  lite.query.authors.findMany().$withCache({ tll: 5 })
  const pg = withQueryCache(
    drizzlePg('postgres://localhost/test', { relations: postgres.relations }),
  )
  // @ts-expect-error pg select: unknown option
  pg.select().from(postgres.authors).$withCache({ tll: 5 })
  // @ts-expect-error pg select after orderBy: tags is a list
  pg.select().from(postgres.authors).orderBy(postgres.authors.id).$withCache({ tags: 'authors' })
  const my = withQueryCache(drizzleMysql({ connection: { uri: '' }, relations: mysql.relations }))
  // @ts-expect-error mysql select: unknown option
  my.select().from(mysql.authors).$withCache({ tll: 5 })
  // @ts-expect-error mysql $count: ttl is seconds or null
  my.$count(mysql.authors).$withCache({ ttl: '5' })
}
