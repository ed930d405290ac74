import { packageTests } from '@querycache/build-config/vitest'

// two files at a time: most of this suite waits on child processes, npm and injected faults
export default packageTests({ testTimeout: 120_000, maxWorkers: 2 })
