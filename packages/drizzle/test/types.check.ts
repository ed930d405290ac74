import { drizzle } from 'drizzle-orm/node-postgres'
import { withQueryCache } from '../src/index.js'
import * as s from './support/schema.js'

const db = withQueryCache(drizzle({ connection: '', schema: s.pgSchema }))
const a = db
  .select()
  .from(s.pgUsers)
  .$withCache({ ttl: 5, tags: ['x'], key: 'k' })
const b = db.select().from(s.pgUsers).$withCache(false)
const c = db
  .select()
  .from(s.pgUsers)
  .$withCache({ tag: 'k', config: { ex: 5 } })
const d = db.query.users.findMany().$withCache({ ttl: 5 })
const e = db.$count(s.pgUsers).$withCache({ ttl: 5 })
export type T = [typeof a, typeof b, typeof c, typeof d, typeof e]

import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'

const sq = withQueryCache(drizzleLibsql({ connection: { url: ':memory:' }, schema: s.sqSchema }))
const f = sq
  .select()
  .from(s.sqUsers)
  .$withCache({ ttl: 5, tags: ['x'], key: 'k' })
const g = sq.query.users.findFirst().$withCache(false)
const h = sq.$count(s.sqUsers).$withCache({ ttl: 5 })
// the wrapped db has the same type as the original, plus a typed $cache
const same: ReturnType<typeof drizzle<typeof s.pgSchema>> = db
const stats: number = db.$cache.stats().hits
const inv: Promise<void> = db.$cache.invalidate({ tables: [s.pgUsers], tags: 'x' })
export type U = [typeof f, typeof g, typeof h, typeof same, typeof stats, typeof inv]

import { int, mysqlTable } from 'drizzle-orm/mysql-core'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'

const m = mysqlTable('m', { id: int('id') })
const my = withQueryCache(drizzleMysql({ connection: { uri: '' } }))
const i = my
  .select()
  .from(m)
  .$withCache({ ttl: 5, tags: ['x'] })
const j = my.$count(m).$withCache(false)
export type V = [typeof i, typeof j]
