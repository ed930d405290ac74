// Issue 6.4 — isolation. Real PostgreSQL row-level security: a role without BYPASSRLS, a policy
// on current_setting('app.tenant'), and one connection pool per tenant (the tenant is set by the
// connection: options=-c app.tenant=…), all sharing ONE cache. With `scope` returning the tenant,
// every tenant sees only its rows through the shared cache; without it, the second tenant is
// served the first tenant's cached rows (the documented unsafe configuration). And two
// namespaces on one Redis never see each other's entries, invalidations or clears.
import { randomUUID } from 'node:crypto'
import type KeyvRedis from '@keyv/redis'
import { createQueryCache, type QueryCache } from '@querycache/core'
import { type BlogDatabase, POSTGRES_URL } from '@querycache/schema'
import { redisAdapter, scanNamespace, uniqueNamespace } from '@querycache/testing/redis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ADAPTERS, openSubject, type Subject, smallBlog } from './support/blog.ts'

let db: BlogDatabase
const role = `qc_rls_${randomUUID().replaceAll('-', '').slice(0, 10)}`
const opened: Subject[] = []
const caches: QueryCache[] = []
let admin: KeyvRedis<string>

beforeAll(async () => {
  db = await smallBlog()
  admin = redisAdapter()
  // posts 1 and 3 belong to tenant a, post 2 to tenant b
  await db.exec(`
    ALTER TABLE posts ADD COLUMN tenant text;
    UPDATE posts SET tenant = CASE WHEN id = 2 THEN 'b' ELSE 'a' END;
    ALTER TABLE posts ALTER COLUMN tenant SET NOT NULL,
      ALTER COLUMN tenant SET DEFAULT current_setting('app.tenant', true);
    ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant_rows ON posts USING (tenant = current_setting('app.tenant', true));
    CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role};`)
})

afterAll(async () => {
  for (const s of opened) await s.close().catch(() => {})
  for (const c of caches)
    await c
      .clear()
      .then(() => c.close())
      .catch(() => {})
  await admin.disconnect(true).catch(() => {})
  await db.drop()
  const c = new pg.Client({ connectionString: POSTGRES_URL })
  await c.connect()
  await c.query(`DROP ROLE IF EXISTS ${role}`)
  await c.end()
})

/** A connection string as the RLS role, for one tenant. */
function tenantUrl(tenant: string): string {
  const url = new URL(db.url)
  url.username = role
  url.searchParams.set('options', `-c app.tenant=${tenant}`)
  return url.toString()
}

function sharedCache(label: string): QueryCache {
  const cache = createQueryCache({ store: redisAdapter(), namespace: uniqueNamespace(label) })
  caches.push(cache)
  return cache
}

function subject(...args: Parameters<typeof openSubject>): Subject {
  const s = openSubject(...args)
  opened.push(s)
  return s
}

const ids = (rows: { id: number }[]) => rows.map((r) => r.id)

describe.each(ADAPTERS)(
  '%s: tenants under PostgreSQL row-level security, one shared cache',
  (kind) => {
    test('the database enforces RLS for the tenant role (sanity check of the setup)', async () => {
      const cache = sharedCache(`rls-sanity-${kind}`)
      const a = subject(kind, tenantUrl('a'), cache)
      const b = subject(kind, tenantUrl('b'), cache)
      expect(await a.readTitleUncached()).toBe('v0')
      expect(await b.readTitleUncached()).toBeUndefined() // post 1 is tenant a's
    })

    test('with scope returning the tenant, each tenant sees only its rows through the shared cache', async () => {
      const cache = sharedCache(`rls-scoped-${kind}`)
      const a = subject(kind, tenantUrl('a'), cache, { scope: () => 'a' })
      const b = subject(kind, tenantUrl('b'), cache, { scope: () => 'b' })
      for (let round = 0; round < 3; round++) {
        expect(ids(await a.listPosts())).toEqual([1, 3])
        expect(ids(await b.listPosts())).toEqual([2])
        // the same custom key is scoped too
        expect(ids(await a.listPosts({ key: 'home' }))).toEqual([1, 3])
        expect(ids(await b.listPosts({ key: 'home' }))).toEqual([2])
        expect(await a.readTitle()).toBe('v0')
        expect(await b.readTitle()).toBeUndefined()
      }
      // the shared cache served repeated reads: 2 rounds × 6 reads
      expect(cache.stats().hits).toBe(12)
    })

    test('UNSAFE (documented): without scope, RLS tenants share cached results — tenant b is served tenant a’s rows', async () => {
      const cache = sharedCache(`rls-unscoped-${kind}`)
      const a = subject(kind, tenantUrl('a'), cache)
      const b = subject(kind, tenantUrl('b'), cache)
      expect(ids(await a.listPosts())).toEqual([1, 3])
      // b's database would answer [2]; the cache answers with a's rows. This is why the READMEs
      // require `scope` whenever what a query returns depends on who asks.
      expect(ids(await b.listPosts())).toEqual([1, 3])
      expect(await a.readTitle()).toBe('v0')
      expect(await b.readTitle()).toBe('v0')
    })
  },
)

describe.each(ADAPTERS)('%s: two namespaces on one Redis', (kind) => {
  test('never see each other’s entries, invalidations, clears or pattern deletes', async () => {
    const ns1 = uniqueNamespace(`ns-${kind}`)
    const ns2 = `${ns1}-2` // a namespace that starts with the other one's name
    const c1 = createQueryCache({ store: redisAdapter(), namespace: ns1 })
    const c2 = createQueryCache({ store: redisAdapter(), namespace: ns2 })
    caches.push(c1, c2)
    const s1 = subject(kind, db.url, c1)
    const s2 = subject(kind, db.url, c2)

    expect(await s1.readTitle()).toBe('v0')
    expect(await s2.readTitle()).toBe('v0')
    expect(c2.stats().hits).toBe(0) // not served ns1's entry for the same query
    await s1.readTitle()
    await s2.readTitle()
    expect([c1.stats().hits, c2.stats().hits]).toEqual([1, 1])

    // a write through ns1 invalidates ns1 only: ns2 keeps serving what it cached
    await s1.writeTitle('ns1-write')
    expect(await s1.readTitle()).toBe('ns1-write')
    expect(await s2.readTitle()).toBe('v0')
    expect(c2.stats().hits).toBe(2)

    const keys2 = await scanNamespace(admin, ns2)
    expect(keys2.length).toBeGreaterThan(0)
    await c1.deletePattern('*')
    await c1.clear()
    expect(await scanNamespace(admin, ns2)).toEqual(keys2)
    expect((await scanNamespace(admin, ns1)).filter((k) => k.startsWith(`${ns1}:e:`))).toEqual([])
    expect(await s2.readTitle()).toBe('v0')
    expect(c2.stats().hits).toBe(3)
    await s1.writeTitle('v0')
  })
})
