// The Drizzle adapter on Drizzle 1.0: this package's pnpm-injected copy of @querycache/drizzle
// resolves its `drizzle-orm` peer to 1.0, as in a user's install.
import { packageTests } from '@querycache/build-config/vitest'
import { mergeConfig } from 'vitest/config'

export default mergeConfig(packageTests({ globalSetup: ['./test/setup.ts'] }), {
  test: {
    // the injected adapter goes through this graph too, so it shares one drizzle-orm (entity
    // checks) and one @querycache/core with the tests
    server: { deps: { inline: [/@querycache\+drizzle/] } },
  },
})
