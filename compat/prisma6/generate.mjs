#!/usr/bin/env node
// Generates Prisma 6 clients (prisma-client-js, the generator most Prisma 6 apps use) of the shared
// blog schema, one per database. Prisma 6 runs without its Rust engines only from 6.16 on and
// only with `engineType = "client"`; it also wants `url` in the datasource, which Prisma 7
// rejects, so the generator and datasource blocks of ../../prisma/schema.prisma are swapped here.
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const generated = join(here, 'generated')
mkdirSync(generated, { recursive: true })

// like Prisma 7's, the CLI wants its schema-engine binary even for `generate`
const stubDir = mkdtempSync(join(tmpdir(), 'qc-prisma6-'))
const stub = join(stubDir, 'schema-engine')
writeFileSync(stub, '#!/bin/sh\necho "schema engine not available here" >&2\nexit 1\n')
chmodSync(stub, 0o755)

const shared = readFileSync(join(here, '..', '..', 'prisma', 'schema.prisma'), 'utf8')
const generator = /generator client \{[^}]*\}/
const datasource = /datasource db \{[^}]*\}/
if (!generator.test(shared) || !datasource.test(shared))
  throw new Error('generate.mjs: the shared schema has no generator/datasource block to swap')

const prismaCli = join(
  dirname(createRequire(import.meta.url).resolve('prisma/package.json')),
  'build',
  'index.js',
)
for (const [provider, name, url] of [
  ['sqlite', 'sqlite', 'file:./unused.db'],
  ['postgresql', 'postgres', 'postgresql://localhost/unused'],
  ['mysql', 'mysql', 'mysql://localhost/unused'],
]) {
  const text = shared
    .replace(
      generator,
      `generator client {\n  provider   = "prisma-client-js"\n  output     = "./${name}"\n  engineType = "client"\n}`,
    )
    .replace(
      datasource,
      `datasource db {\n  provider = "${provider}"\n  url      = env("DATABASE_URL")\n}`,
    )
  const file = join(generated, `${name}.prisma`)
  writeFileSync(
    file,
    `// generated from prisma/schema.prisma by generate.mjs — do not edit\n${text}`,
  )
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', file], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      // Prisma 6 falls back to its library engine (a download) when the variable is unset
      DATABASE_URL: url,
      PRISMA_SCHEMA_ENGINE_BINARY: stub,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  })
}

// prisma-client-js copies its runtime into every custom output, so each of the three clients has
// its own Prisma.Decimal, Prisma.sql and error classes. The copies are identical files; the
// suites use one `Prisma` namespace for every database, as an app with one generated client
// does, so the PostgreSQL and MySQL clients load the SQLite client's copy.
for (const name of ['postgres', 'mysql']) {
  const runtime = join(generated, name, 'runtime')
  rmSync(runtime, { recursive: true, force: true })
  symlinkSync(join('..', 'sqlite', 'runtime'), runtime)
}
