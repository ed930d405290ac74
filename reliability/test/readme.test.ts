// Every TypeScript block of the READMEs compiles against the real packages (the 10-line
// examples are also run, by the examples' tests). A block preceded by `<!-- not compiled: … -->`
// is skipped; identifiers a snippet leaves to the reader (a logger, `pool`, an earlier block's
// `prisma`) are declared for it, and the user-side paths of the snippets (`./schema`, the
// generated client) point at the shared blog schema.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const out = join(here, '..', '.readme-blocks')
const READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/prisma/README.md',
  'packages/drizzle/README.md',
  'SECURITY.md',
]

const PATHS: [string, string][] = [
  // the telemetry example and its dependency live in packages/core
  ["'./metrics'", "'../../packages/core/examples/metrics.js'"],
  ["'prom-client'", "'../../packages/core/node_modules/prom-client/index.js'"],
  ["'./generated/prisma/client'", "'@querycache/schema/sqlite'"],
  ["'./db/schema'", "'@querycache/schema/drizzle/sqlite'"],
  ["'./schema'", "'@querycache/schema/drizzle/pg'"],
]

/** [identifier, what declares it] for names snippets use without defining. */
const STUBS: [string, string][] = [
  ['log', 'declare const log: { warn(...args: unknown[]): void }'],
  ['loadArticles', 'declare function loadArticles(): Promise<{ id: number }[]>'],
  [
    'db',
    'declare const db: { articles: { latest(n: number): Promise<unknown[]>; update(...a: unknown[]): Promise<void> } }',
  ],
  ['pool', "import type { Pool } from 'pg'\ndeclare const pool: Pool"],
  [
    'adapter',
    "import type { PrismaLibSql } from '@prisma/adapter-libsql'\ndeclare const adapter: PrismaLibSql",
  ],
  ['PrismaClient', "import { PrismaClient } from '@querycache/schema/sqlite'"],
  ['cacheExtension', "import { cacheExtension } from '@querycache/prisma'"],
  ['base', "import type { BlogClient } from '@querycache/schema'\ndeclare const base: BlogClient"],
  [
    'requestContext',
    "import type { AsyncLocalStorage } from 'node:async_hooks'\ndeclare const requestContext: AsyncLocalStorage<{ tenantId: string }>",
  ],
  [
    'als',
    "import type { AsyncLocalStorage as AsyncLocalStorage_ } from 'node:async_hooks'\ndeclare const als: AsyncLocalStorage_<string>",
  ],
  ['tenant', 'declare const tenant: string'],
  [
    'prisma',
    "import { cacheExtension as cacheExtension_ } from '@querycache/prisma'\nimport type { BlogClient as BlogClient_ } from '@querycache/schema'\ndeclare const base_: BlogClient_\nconst prisma = base_.$extends(cacheExtension_())",
  ],
]

function blocks(markdown: string): string[] {
  const found: string[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue
    let j = i + 1
    while (j < lines.length && lines[j] !== '```') j++
    let k = i - 1
    while (k >= 0 && lines[k]!.trim() === '') k--
    if (!lines[k]?.startsWith('<!-- not compiled')) found.push(lines.slice(i + 1, j).join('\n'))
    i = j
  }
  return found
}

function defines(code: string, name: string): boolean {
  return new RegExp(`(?:const|let|function|class)\\s+${name}\\b|import[^;\\n]*\\b${name}\\b`).test(
    code,
  )
}

test('every TypeScript block of the READMEs compiles', () => {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const files: string[] = []
  for (const readme of READMES) {
    for (const [n, block] of blocks(readFileSync(join(root, readme), 'utf8')).entries()) {
      let code = block
      for (const [from, to] of PATHS) code = code.replaceAll(from, to)
      const stubs = STUBS.filter(
        ([name]) => new RegExp(`\\b${name}\\b`).test(code) && !defines(code, name),
      ).map(([, declaration]) => declaration)
      const file = `${readme.replace(/[/.]/g, '_')}_${n + 1}.ts`
      writeFileSync(join(out, file), `${stubs.join('\n')}\n${code}\nexport {}\n`)
      files.push(file)
    }
  }
  expect(files.length).toBeGreaterThanOrEqual(9)
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.base.json',
      compilerOptions: { noEmit: true, declaration: false, allowImportingTsExtensions: true },
      include: ['*.ts'],
    }),
  )
  const tsc = join(
    dirname(createRequire(import.meta.url).resolve('typescript/package.json')),
    'bin',
    'tsc',
  )
  let output = ''
  try {
    execFileSync(process.execPath, [tsc, '-p', join(out, 'tsconfig.json')], { encoding: 'utf8' })
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error)
  }
  expect(output).toBe('')
})
