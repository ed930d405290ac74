#!/usr/bin/env node
// Generates the Prisma clients of schema.prisma: one for SQLite (the embedded default), and one
// each for PostgreSQL and MySQL/MariaDB from copies whose datasource provider is swapped. Prisma's CLI wants its
// schema-engine binary even for `generate`, which cannot be downloaded here; the prisma-client
// generator itself only needs WASM, so a stub engine binary is enough.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const generated = join(here, 'generated')
mkdirSync(generated, { recursive: true })

const stubDir = mkdtempSync(join(tmpdir(), 'qc-prisma-'))
const stub = join(stubDir, 'schema-engine')
writeFileSync(
  stub,
  '#!/bin/sh\necho "querycache: schema engine not available; schemas are applied from SQL migrations" >&2\nexit 1\n',
)
chmodSync(stub, 0o755)

const sqlite = readFileSync(join(here, 'schema.prisma'), 'utf8')
const derived = []
for (const [provider, name] of [
  ['postgresql', 'postgres'],
  ['mysql', 'mysql'],
]) {
  const text = sqlite
    .replace('provider = "sqlite"', `provider = "${provider}"`)
    .replace('output       = "./generated/sqlite"', `output       = "./${name}"`)
  if (text === sqlite) throw new Error(`generate.mjs: could not derive the ${provider} schema`)
  const file = join(generated, `${name}.prisma`)
  writeFileSync(file, `// generated from ../schema.prisma by generate.mjs — do not edit\n${text}`)
  derived.push(file)
}

const prismaCli = join(
  dirname(createRequire(import.meta.url).resolve('prisma/package.json')),
  'build',
  'index.js',
)
for (const schema of [join(here, 'schema.prisma'), ...derived]) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: stub,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  })
}
