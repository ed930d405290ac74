import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 30_000,
    // test-results.json feeds the closing totals line of `npm test`
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
})
