import { packageBuild } from '@querycache/build-config/tsup'
import type { Options } from 'tsup'

// `api` is the entry without the `$withCache` typing; drizzle1.d.ts (Drizzle 1.0) builds on its types.
const config: Options = packageBuild({ index: 'src/index.ts', api: 'src/api.ts' })
export default config
