// Process B of the demo's near-cache part, started by demo.ts (see @querycache/schema/near-demo):
// the same Prisma client and cache setup as process A, on the same database and Redis.
import { createQueryCache } from '@querycache/core'
import { cacheExtension } from '@querycache/prisma'
import { connectBlogClient, type Provider } from '@querycache/schema'
import { redisFromEnv } from '@querycache/schema/demo-kit'
import { nearCachePeer } from '@querycache/schema/near-demo'

const redis = await redisFromEnv()
await nearCachePeer((onMessage) => {
  const cache = createQueryCache({
    store: redis.open!(),
    namespace: process.env.QC_DEMO_NAMESPACE!,
    nearCache: { onMessage },
  })
  const base = connectBlogClient(
    process.env.QC_DEMO_PROVIDER as Provider,
    process.env.QC_DEMO_DB_URL!,
  )
  const prisma = base.$extends(cacheExtension({ cache }))
  return {
    cache,
    read: () => prisma.post.findUnique({ where: { id: 5 } }),
    async close() {
      await base.$disconnect()
      await cache.close()
    },
  }
})
