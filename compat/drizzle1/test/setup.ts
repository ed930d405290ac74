// vitest globalSetup: the injected copy of @querycache/drizzle holds the adapter just built.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { refreshInjectedCopy } from '../../../testing/injected.ts'

export function setup(): void {
  refreshInjectedCopy(join(dirname(fileURLToPath(import.meta.url)), '..'), 'drizzle')
}
