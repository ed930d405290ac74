import { packageBuild } from '@querycache/build-config/tsup'
import type { Options } from 'tsup'

const config: Options = packageBuild(
  {
    index: 'src/index.ts',
    adapter: 'src/adapter/index.ts',
    'store-contract': 'src/store-contract.ts',
  },
  // the contract suite runs inside the store author's vitest
  { external: ['vitest'] },
)
export default config
