// Mistakes a user makes in `$withCache(...)`, one per `@ts-expect-error`. tsc checks that each
// is an error; option-errors.test.ts removes the comments and checks what TypeScript then says.

import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { int, mysqlTable } from 'drizzle-orm/mysql-core'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle } from 'drizzle-orm/node-postgres'
import { withQueryCache } from '../src/index.js'
import * as s from './support/schema.js'

export function pgMistakes() {
  const db = withQueryCache(drizzle({ connection: '', schema: s.pgSchema }))
  // @ts-expect-error pg select: unknown option
  db.select().from(s.pgUsers).$withCache({ tll: 5 })
  // @ts-expect-error pg select after where: ttl is seconds or null
  db.select().from(s.pgUsers).where(undefined).$withCache({ ttl: '5' })
  // @ts-expect-error pg dynamic select: tags is a list
  db.select().from(s.pgUsers).$dynamic().$withCache({ tags: 'users' })
  // @ts-expect-error pg relational query: unknown option
  db.query.users.findMany().$withCache({ tll: 5 })
  // @ts-expect-error pg $count: unknown option
  db.$count(s.pgUsers).$withCache({ tll: 5 })
}

export function mysqlMistakes() {
  const m = mysqlTable('m', { id: int('id') })
  const db = withQueryCache(drizzleMysql({ connection: { uri: '' } }))
  // @ts-expect-error mysql select: unknown option
  db.select().from(m).$withCache({ tll: 5 })
  // @ts-expect-error mysql select after orderBy: ttl is seconds or null
  db.select().from(m).orderBy(m.id).$withCache({ ttl: '5' })
}

export function sqliteMistakes() {
  const db = withQueryCache(drizzleLibsql({ connection: { url: ':memory:' }, schema: s.sqSchema }))
  // @ts-expect-error sqlite select: unknown option (Drizzle declares its own on the same class)
  db.select().from(s.sqUsers).$withCache({ tll: 5 })
  // @ts-expect-error sqlite relational query: unknown option
  db.query.users.findFirst().$withCache({ tll: 5 })
}
