import { packageTests } from '@querycache/build-config/vitest'

// the demo also runs on a real local Redis Cluster (testing/shared-cluster.ts)
export default packageTests({
  testTimeout: 180_000,
  globalSetup: ['../../testing/shared-cluster.ts'],
})
