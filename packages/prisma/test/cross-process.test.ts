// Two application processes, each with its own Prisma client and querycache, sharing one
// database and one Redis: once a write has resolved in one, the other never serves older data.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { forkWorker } from '@querycache/testing/process'
import { clusterAdapter, sharedClusterNodes } from '@querycache/testing/shared-cluster'
import { afterEach, describe, expect, test } from 'vitest'
import { openBlog, PROVIDERS, redisAdapter, uniqueNamespace } from './support/fixtures.js'
import type { Command } from './support/worker.js'

const workerPath = fileURLToPath(new URL('./support/worker.ts', import.meta.url))
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill()
})

type Reply = { id: number; titles?: string[]; hits?: number; error?: string }

async function startWorker(env: Record<string, string>) {
  const child = await forkWorker(workerPath, env)
  children.push(child)
  let next = 0
  return (request: Command) =>
    new Promise<Reply>((resolve, reject) => {
      const id = ++next
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return
        child.off('message', onMessage)
        if (reply.error) reject(new Error(reply.error))
        else resolve(reply)
      }
      child.on('message', onMessage)
      child.send({ ...request, id })
    })
}

// every database on one Redis, and PostgreSQL on a Redis Cluster (3 masters, 1 replica each)
const targets = [
  ...PROVIDERS.map((provider) => [provider, 'redis'] as const),
  ['postgresql', 'redis cluster'] as const,
]

describe.each(targets)('%s on %s', (provider, store) => {
  test('a write resolved in one process is never followed by stale data in the other', async () => {
    const namespace = uniqueNamespace('cross-process')
    const onCluster = store === 'redis cluster'
    const { db, prisma, cache } = await openBlog(provider, {
      cache: { store: onCluster ? clusterAdapter() : redisAdapter(), namespace },
    })
    const other = await startWorker({
      QC_NAMESPACE: namespace,
      QC_PROVIDER: provider,
      QC_DB_URL: db.url,
      ...(onCluster ? { QC_REDIS_CLUSTER: JSON.stringify(sharedClusterNodes()) } : {}),
    })
    const read = async () =>
      (await prisma.post.findMany({ include: { author: true }, orderBy: { id: 'asc' } })).map(
        (p) => p.title,
      )

    expect(await read()).toEqual(['Hello', 'Draft'])
    // the other process is served the entry this one stored
    expect(await other({ op: 'read' })).toMatchObject({ titles: ['Hello', 'Draft'], hits: 1 })

    for (let round = 0; round < 10; round++) {
      await prisma.post.update({ where: { id: 1 }, data: { title: `parent ${round}` } })
      expect((await other({ op: 'read' })).titles?.[0]).toBe(`parent ${round}`)
      expect(await read()).toEqual([`parent ${round}`, 'Draft'])
      await other({ op: 'write', title: `child ${round}` })
      expect(await read()).toEqual([`child ${round}`, 'Draft'])
      expect((await other({ op: 'read' })).titles?.[0]).toBe(`child ${round}`)
    }
    // both processes kept caching: the reads after the first miss of each round were hits
    expect(cache.stats().hits).toBeGreaterThanOrEqual(10)
    await cache.close()
  })
})
