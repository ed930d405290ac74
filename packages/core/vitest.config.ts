import { packageTests } from '@querycache/build-config/vitest'

// one real local Redis Cluster for the package's run (testing/shared-cluster.ts); two files at a
// time, as most of this suite waits (on failovers, timeouts, Redis restarts)
export default packageTests({ globalSetup: ['../../testing/shared-cluster.ts'], maxWorkers: 2 })
