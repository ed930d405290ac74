import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describeExample } from '@querycache/testing/examples'

describeExample(join(dirname(fileURLToPath(import.meta.url)), '..'))
