// A compat package's pnpm-injected copy of a workspace package must hold what was just built.
// pnpm refreshes it after `pnpm run build` (syncInjectedDepsAfterScripts); a build that turbo
// restored from its cache ran no script, so a vitest globalSetup refreshes it the same way.
import { cpSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { join } from 'node:path'

/** Makes `<compatDir>/node_modules/@querycache/<name>/dist` a copy of `packages/<name>/dist`. */
export function refreshInjectedCopy(compatDir: string, name: string): void {
  const built = join(compatDir, '..', '..', 'packages', name, 'dist')
  const injected = join(realpathSync(join(compatDir, 'node_modules', '@querycache', name)), 'dist')
  const same = (() => {
    try {
      return (
        readFileSync(join(built, 'index.js'), 'utf8') ===
        readFileSync(join(injected, 'index.js'), 'utf8')
      )
    } catch {
      return false
    }
  })()
  if (same) return
  // the copy's files may be hard links to the built ones: replace them, never copy onto them
  rmSync(injected, { recursive: true, force: true })
  cpSync(built, injected, { recursive: true })
}
