import type { ViteUserConfig } from 'vitest/config'

/** The vitest config of a workspace package; slow suites raise the timeouts. */
export function packageTests(overrides?: {
  testTimeout?: number
  hookTimeout?: number
  /** Modules run once around the package's run, e.g. the shared Redis Cluster. */
  globalSetup?: string[]
  /** Test files run at the same time (default: vitest's, cores − 1). */
  maxWorkers?: number
}): ViteUserConfig
