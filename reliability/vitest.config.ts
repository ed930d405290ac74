import { packageTests } from '@querycache/build-config/vitest'

export default packageTests({ testTimeout: 120_000 })
