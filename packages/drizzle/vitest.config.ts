import { packageTests } from '@querycache/build-config/vitest'

export default packageTests()
