import { packageTests } from '@querycache/build-config/vitest'

// one real local Redis Cluster for the package's run (testing/shared-cluster.ts)
export default packageTests({ globalSetup: ['../../testing/shared-cluster.ts'] })
