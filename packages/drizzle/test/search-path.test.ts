// PostgreSQL's search_path: with `app` first, the Drizzle table `people` (no schema) is
// `app.people`, so SQL naming `app.people` reads and writes the same table. The adapter cannot
// always see the search_path (a role default, `SET search_path`), so a qualified name also
// matches the unqualified table of the same name.
import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { pgTable, serial, text } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueryCache, withQueryCache } from '../src/index.js'
import { PG_URL, uniqueNamespace } from './support/db.js'

const people = pgTable('people', { id: serial('id').primaryKey(), name: text('name').notNull() })
const things = pgTable('things', { id: serial('id').primaryKey() })

describe('PostgreSQL search_path', () => {
  const database = `qc_drizzle_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  let pool: pg.Pool
  let db: any
  let raw: any

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    await admin.end()
    const url = new URL(PG_URL)
    url.pathname = `/${database}`
    const setup = new pg.Client({ connectionString: url.toString() })
    await setup.connect()
    await setup.query(`CREATE SCHEMA app;
      CREATE TABLE app.people (id serial primary key, name text not null);
      INSERT INTO app.people (name) VALUES ('ann'), ('ben');
      CREATE TABLE app.things (id serial primary key);
      INSERT INTO app.things DEFAULT VALUES;
      ALTER DATABASE ${database} SET search_path = app, public`)
    await setup.end()
    // the search_path comes from the database's default: nothing in the pool's settings says so
    pool = new pg.Pool({ connectionString: url.toString(), max: 2 })
    raw = drizzle({ client: pool })
    db = withQueryCache(drizzle({ client: pool }), {
      cache: createQueryCache({ namespace: uniqueNamespace('search-path') }),
    })
  })

  afterAll(async () => {
    await db?.$cache.close()
    await pool?.end()
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  })

  const cachedTwice = async (read: () => Promise<unknown>) => {
    await read()
    const hits = db.$cache.stats().hits
    await read()
    expect(db.$cache.stats().hits).toBe(hits + 1)
  }

  it('a raw write to the qualified name invalidates reads of the unqualified table', async () => {
    const read = () => db.select().from(people).orderBy(people.id)
    await cachedTwice(read)
    await db.execute(sql.raw(`UPDATE app.people SET name = 'anna' WHERE id = 1`))
    expect(await read()).toEqual(await raw.select().from(people).orderBy(people.id))
    expect((await read())[0].name).toBe('anna')
  })

  it('a read naming the qualified table depends on the unqualified one', async () => {
    const read = () =>
      db
        .select({ n: sql<number>`(select count(*) from app.people)`.mapWith(Number) })
        .from(things)
        .limit(1)
    await cachedTwice(read)
    const [before] = await read()
    await db.insert(people).values({ name: 'cy' })
    const [after] = await read()
    expect(after.n).toBe(before.n + 1)
  })
})
