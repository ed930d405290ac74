// The one test config of the workspace's packages. Plain JS: vitest loads it as is.
import { defineConfig } from 'vitest/config'

/** @type {import('./vitest.d.ts').packageTests} */
export function packageTests(overrides = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: overrides.hookTimeout ?? 30_000,
      globalSetup: overrides.globalSetup ?? [],
      // vitest's default, one worker per core but one, is a single worker on a 2-core machine.
      // Suites that mostly wait (on Redis, failovers, timers) ask for more; every fixture has a
      // database, namespace and ports of its own. QC_TEST_WORKERS overrides it.
      maxWorkers: Number(process.env.QC_TEST_WORKERS) || overrides.maxWorkers,
      // test-results.json feeds the closing totals line of `npm test`
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    },
  })
}
