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
      // test-results.json feeds the closing totals line of `npm test`
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    },
  })
}
