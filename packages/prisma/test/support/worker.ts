// A second application process for the cross-process tests: its own Prisma client and its own
// querycache over the same database and the same Redis. Commands arrive over IPC.
import { createQueryCache } from '@querycache/core'
import { connectBlogClient, type Provider } from '@querycache/schema'
import { clusterAdapter, redisAdapter } from '@querycache/testing/redis'
import { cacheExtension } from '../../src/index.js'

// QC_REDIS_CLUSTER: the root nodes (JSON) of a Redis Cluster to use instead of the single Redis
const cluster = process.env.QC_REDIS_CLUSTER
const cache = createQueryCache({
  store: cluster ? clusterAdapter(JSON.parse(cluster)) : redisAdapter(),
  namespace: process.env.QC_NAMESPACE!,
})
const provider = process.env.QC_PROVIDER as Provider
const prisma = connectBlogClient(provider, process.env.QC_DB_URL!).$extends(
  cacheExtension({ cache }),
)

export type Command = { op: 'read' } | { op: 'write'; title: string }
export type WorkerRequest = Command & { id: number }

process.on('message', async (msg: WorkerRequest) => {
  try {
    if (msg.op === 'read') {
      const posts = await prisma.post.findMany({
        include: { author: true },
        orderBy: { id: 'asc' },
      })
      // the reply says the read is done, the entry it stored included
      await cache.flush()
      process.send!({ id: msg.id, titles: posts.map((p) => p.title), hits: cache.stats().hits })
    } else {
      await prisma.post.update({ where: { id: 1 }, data: { title: msg.title } })
      process.send!({ id: msg.id, done: true })
    }
  } catch (error) {
    process.send!({ id: msg.id, error: String(error) })
  }
})
process.on('disconnect', () => {
  void prisma.$disconnect().then(() => cache.close())
})
process.send!({ ready: true })
