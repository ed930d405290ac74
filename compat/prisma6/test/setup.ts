// vitest globalSetup: the injected copy of @querycache/prisma holds the adapter just built, and
// the shared Redis Cluster is up.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { refreshInjectedCopy } from '../../../testing/injected.ts'
import { setup as setupCluster } from '../../../testing/shared-cluster.ts'

export { teardown } from '../../../testing/shared-cluster.ts'

export async function setup(...args: Parameters<typeof setupCluster>): Promise<void> {
  refreshInjectedCopy(join(dirname(fileURLToPath(import.meta.url)), '..'), 'prisma')
  await setupCluster(...args)
}
