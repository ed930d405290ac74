#!/usr/bin/env node
// One-time set-up shared by `npm test`, `npm run demo` and `npm run bench`: make sure pnpm is
// there and the workspace is installed from the lockfile. Cheap when nothing changed.
import { execSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const run = (cmd) =>
  execSync(cmd, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  })

function has(cmd) {
  try {
    execSync(`${cmd} --version`, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

if (!has('pnpm')) {
  console.log('› installing pnpm 10 (npm i -g pnpm@10)')
  run('npm i -g pnpm@10')
}

const marker = join(root, 'node_modules', '.modules.yaml')
const lock = join(root, 'pnpm-lock.yaml')
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.log('› pnpm install --frozen-lockfile')
  run('pnpm install --frozen-lockfile')
}
