import { packageBuild } from '@querycache/build-config/tsup'
import type { Options } from 'tsup'

const config: Options = packageBuild({ index: 'src/index.ts' })
export default config
