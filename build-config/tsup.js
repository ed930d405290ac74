// The one build config of the published packages: ESM + CJS, both type files, source maps.
// Each package's tsup.config.ts names only its entry points. Plain JS: tsup loads it as is.
import { defineConfig } from 'tsup'

/** @type {import('./tsup.d.ts').packageBuild} */
export function packageBuild(entry, overrides = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...overrides,
  })
}
