// The README's Drizzle example, run by `pnpm --filter @querycache/example-drizzle start`.
import './setup.js'
// #region readme
import { createClient } from '@libsql/client'
import { withQueryCache } from '@querycache/drizzle'
import * as schema from '@querycache/schema/drizzle/sqlite' // your Drizzle schema
import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/libsql'

const client = createClient({ url: 'file:blog.db' })
const db = withQueryCache(drizzle({ client, schema }), { ttl: 60 }) // in memory; { cache } for Redis

const query = () => db.query.posts.findMany({ with: { author: true }, limit: 20 })
await query() // miss: runs the query, caches the rows
await query() // hit: served from the cache
await db.update(schema.users).set({ name: 'Ada' }).where(eq(schema.users.id, 1)) // invalidates users
await db
  .select()
  .from(schema.posts)
  .$withCache({ ttl: 600, tags: ['home'] }) // per-query options
await db.$cache.invalidate({ tags: ['home'] })
console.log(db.$cache.stats()) // hits, misses, hitRatio, byModel
// #endregion
client.close()
