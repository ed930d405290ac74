// A compat package's pnpm-injected copy of a workspace package must hold what was just built.
// pnpm refreshes it after `pnpm run build` (syncInjectedDepsAfterScripts); a build that turbo
// restored from its cache ran no script, so a vitest globalSetup refreshes it the same way.
import { cpSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Makes the files of `<compatDir>/node_modules/@querycache/<name>` that the package publishes
 * (its `files`: `dist` and any type entries beside it) copies of those in `packages/<name>`.
 */
export function refreshInjectedCopy(compatDir: string, name: string): void {
  const built = join(compatDir, '..', '..', 'packages', name)
  const injected = realpathSync(join(compatDir, 'node_modules', '@querycache', name))
  const files: string[] = JSON.parse(readFileSync(join(built, 'package.json'), 'utf8')).files
  for (const file of files) {
    const from = join(built, file)
    const to = join(injected, file)
    if (
      statSync(from).isFile() ? same(from, to) : same(join(from, 'index.js'), join(to, 'index.js'))
    )
      continue
    // the copy's files may be hard links to the built ones: replace them, never copy onto them
    rmSync(to, { recursive: true, force: true })
    cpSync(from, to, { recursive: true })
  }
}

function same(a: string, b: string): boolean {
  try {
    return readFileSync(a, 'utf8') === readFileSync(b, 'utf8')
  } catch {
    return false
  }
}
