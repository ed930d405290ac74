// Process B of the demo's near-cache part, started by demo.ts (see @querycache/schema/near-demo):
// the same Drizzle db and cache setup as process A, on the same database and Redis.
import { createQueryCache } from '@querycache/core'
import { withQueryCache } from '@querycache/drizzle'
import type { BlogDatabase } from '@querycache/schema'
import { redisFromEnv } from '@querycache/schema/demo-kit'
import { openDrizzleBlog } from '@querycache/schema/drizzle'
import { nearCachePeer } from '@querycache/schema/near-demo'
import { eq } from 'drizzle-orm'

const redis = await redisFromEnv()
// openDrizzleBlog needs only where the database is
const blog = openDrizzleBlog({
  provider: process.env.QC_DEMO_PROVIDER,
  url: process.env.QC_DEMO_DB_URL,
} as BlogDatabase)
await nearCachePeer((onMessage) => {
  const cache = createQueryCache({
    store: redis.open!(),
    namespace: process.env.QC_DEMO_NAMESPACE!,
    nearCache: { onMessage },
  })
  const db = withQueryCache(blog.db, { cache, name: 'demo' })
  const { posts } = blog.schema
  return {
    cache,
    read: () => db.query.posts.findFirst({ where: eq(posts.id, 5) }),
    async close() {
      await cache.close()
      await blog.close()
    },
  }
})
