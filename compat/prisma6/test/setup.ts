// vitest globalSetup: the injected copy of @querycache/prisma must hold the adapter just built.
// pnpm refreshes it after `pnpm run build` (syncInjectedDepsAfterScripts); a build that turbo
// restored from its cache ran no script, so the copy is refreshed here the same way.
import { cpSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { setup as setupCluster } from '../../../testing/shared-cluster.ts'

export { teardown } from '../../../testing/shared-cluster.ts'

const here = dirname(fileURLToPath(import.meta.url))

export async function setup(...args: Parameters<typeof setupCluster>): Promise<void> {
  const built = join(here, '..', '..', '..', 'packages', 'prisma', 'dist')
  const injected = join(
    realpathSync(join(here, '..', 'node_modules', '@querycache', 'prisma')),
    'dist',
  )
  const same = (() => {
    try {
      return (
        readFileSync(join(built, 'index.js'), 'utf8') ===
        readFileSync(join(injected, 'index.js'), 'utf8')
      )
    } catch {
      return false
    }
  })()
  if (!same) {
    // the copy's files may be hard links to the built ones: replace them, never copy onto them
    rmSync(injected, { recursive: true, force: true })
    cpSync(built, injected, { recursive: true })
  }
  await setupCluster(...args)
}
