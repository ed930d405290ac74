// The published packages, as a user gets them: `pnpm pack` turns each into a tarball (workspace
// versions resolved), and plain `npm install` of the tarballs into an empty project gives
// packages that load from ESM and CommonJS and cache. npm fetches the dependencies and peer
// dependencies (keyv, lru-cache, @prisma/client, drizzle-orm) from the registry.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, test } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'querycache-pack-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const PACKAGES = ['core', 'prisma', 'drizzle']

test('pnpm pack gives tarballs that plain npm installs into an empty project', () => {
  const tarballs = join(work, 'tarballs')
  for (const name of PACKAGES)
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], {
      cwd: join(root, 'packages', name),
      stdio: 'pipe',
    })
  const files = readdirSync(tarballs).sort()
  expect(files).toEqual([
    expect.stringMatching(/^querycache-core-.*\.tgz$/),
    expect.stringMatching(/^querycache-drizzle-.*\.tgz$/),
    expect.stringMatching(/^querycache-prisma-.*\.tgz$/),
  ])

  // what a registry would serve: no workspace protocol left, the built files and README inside
  for (const file of files) {
    const manifest = execFileSync('tar', ['-xzOf', join(tarballs, file), 'package/package.json'])
    expect(manifest.toString()).not.toContain('workspace:')
    const listing = execFileSync('tar', ['-tzf', join(tarballs, file)]).toString()
    for (const path of [
      'package/dist/index.js',
      'package/dist/index.cjs',
      'package/dist/index.d.ts',
      'package/dist/index.d.cts',
      'package/README.md',
      'package/LICENSE',
    ])
      expect(listing, file).toContain(path)
    // every file the exports map names (e.g. @querycache/drizzle/drizzle1's types) is shipped
    const targets = (value: unknown): string[] =>
      typeof value === 'string'
        ? [value]
        : Object.values((value ?? {}) as Record<string, unknown>).flatMap(targets)
    for (const target of targets(JSON.parse(manifest.toString()).exports))
      expect(listing, `${file}: ${target}`).toContain(`package/${target.replace(/^\.\//, '')}`)
    // no sources, tests or build configuration
    expect(listing, file).not.toMatch(/package\/(?:src|test)\//)
    // the README's links work on the registry page, which resolves no relative link without a
    // repository: each is absolute, to a published package's page or to a file its tarball has
    const readme = execFileSync('tar', ['-xzOf', join(tarballs, file), 'package/README.md'])
    for (const [, target = ''] of readme.toString().matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target.startsWith('#')) continue
      const ours =
        /^https:\/\/(?:www\.npmjs\.com\/package|unpkg\.com)\/@querycache\/(\w+)(\/[^#]*)?/.exec(
          target,
        )
      if (!ours) {
        expect(target, `${file}: ${target}`).toMatch(/^https:\/\//)
        continue
      }
      const [, name = '', path] = ours
      expect(PACKAGES, `${file}: ${target}`).toContain(name)
      if (target.startsWith('https://unpkg.com/') && path) {
        const other = files.find((f) => f.startsWith(`querycache-${name}-`)) ?? ''
        const theirs = execFileSync('tar', ['-tzf', join(tarballs, other)]).toString()
        expect(theirs, `${file}: ${target}`).toContain(`package${path}`)
      }
    }
  }

  const app = join(work, 'app')
  execFileSync('mkdir', ['-p', app])
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  )
  // the tarballs, and for the apps below a driver, TypeScript and the Prisma versions the
  // workspace tests with, in one install; npm runs no install scripts here, so Prisma's engines
  // are never downloaded
  const prismaVersion = (name: string) =>
    JSON.parse(
      readFileSync(join(root, 'packages', 'prisma', 'node_modules', name, 'package.json'), 'utf8'),
    ).version
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...files.map((f) => join(tarballs, f)),
      '@libsql/client@^0.17',
      'typescript@^5',
      ...['prisma', '@prisma/client', '@prisma/adapter-libsql'].map(
        (name) => `${name}@${prismaVersion(name)}`,
      ),
    ],
    { cwd: app, stdio: 'pipe' },
  )
  const installed = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'))
  expect(
    Object.keys(installed.dependencies)
      .filter((name) => name.startsWith('@querycache/'))
      .sort(),
  ).toEqual(['@querycache/core', '@querycache/drizzle', '@querycache/prisma'])
  for (const name of ['core', 'prisma', 'drizzle'])
    expect(installed.dependencies[`@querycache/${name}`], name).toMatch(/^file:/)

  writeFileSync(
    join(app, 'esm.mjs'),
    `import { createQueryCache } from '@querycache/core'
import { cacheExtension } from '@querycache/prisma'
import { withQueryCache } from '@querycache/drizzle'
const cache = createQueryCache()
let calls = 0
await cache.getOrSet('k', () => ++calls)
await cache.getOrSet('k', () => ++calls)
await cache.close()
console.log(JSON.stringify({ calls, hits: cache.stats().hits, prisma: typeof cacheExtension, drizzle: typeof withQueryCache }))
`,
  )
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const { createQueryCache } = require('@querycache/core')
const { cacheExtension } = require('@querycache/prisma')
const { withQueryCache } = require('@querycache/drizzle')
console.log(JSON.stringify({ core: typeof createQueryCache, prisma: typeof cacheExtension, drizzle: typeof withQueryCache }))
`,
  )
  const esm = JSON.parse(execFileSync('node', ['esm.mjs'], { cwd: app }).toString())
  expect(esm).toEqual({ calls: 1, hits: 1, prisma: 'function', drizzle: 'function' })
  const cjs = JSON.parse(execFileSync('node', ['cjs.cjs'], { cwd: app }).toString())
  expect(cjs).toEqual({ core: 'function', prisma: 'function', drizzle: 'function' })

  // an app of its own with its own schema, on the installed packages and a driver from the
  // registry: a cached read, a write, a fresh read
  writeFileSync(
    join(app, 'drizzle-app.mjs'),
    `import { createClient } from '@libsql/client'
import { withQueryCache } from '@querycache/drizzle'
import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/libsql'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
const notes = sqliteTable('notes', { id: integer('id').primaryKey(), body: text('body').notNull() })
const client = createClient({ url: 'file:notes.db' })
await client.execute('create table notes (id integer primary key, body text not null)')
await client.execute("insert into notes (body) values ('first')")
const db = withQueryCache(drizzle({ client }))
const read = () => db.select().from(notes)
const before = await read()
await read()
await db.update(notes).set({ body: 'second' }).where(eq(notes.id, 1))
const after = await read()
console.log(JSON.stringify({ before, after, hits: db.$cache.stats().hits }))
await db.$cache.close()
client.close()
`,
  )
  const drizzleApp = JSON.parse(execFileSync('node', ['drizzle-app.mjs'], { cwd: app }).toString())
  expect(drizzleApp).toEqual({
    before: [{ id: 1, body: 'first' }],
    after: [{ id: 1, body: 'second' }],
    hits: 1,
  })

  // the same with Prisma 7: a schema of its own, a client generated offline (a stub stands in
  // for the schema engine, which `generate` does not use), TypeScript compiled with the
  // installed packages' types (the typed cache option included), then run
  mkdirSync(join(app, 'prisma'))
  writeFileSync(
    join(app, 'prisma', 'schema.prisma'),
    `generator client {
  provider            = "prisma-client"
  output              = "../generated"
  runtime             = "nodejs"
  moduleFormat        = "esm"
  importFileExtension = "js"
}

datasource db {
  provider = "sqlite"
}

model Note {
  id   Int    @id @default(autoincrement())
  body String
}
`,
  )
  const stub = join(app, 'schema-engine-stub')
  writeFileSync(stub, '#!/bin/sh\nexit 1\n', { mode: 0o755 })
  execFileSync('npx', ['prisma', 'generate'], {
    cwd: app,
    stdio: 'pipe',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: stub,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  })
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        outDir: 'dist',
      },
      include: ['prisma-app.ts', 'generated'],
    }),
  )
  writeFileSync(
    join(app, 'prisma-app.ts'),
    `import { createClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { cacheExtension } from '@querycache/prisma'
import { PrismaClient } from './generated/client.js'

const url = 'file:prisma-notes.db'
const client = createClient({ url })
await client.execute('create table Note (id integer primary key autoincrement, body text not null)')
await client.execute("insert into Note (body) values ('first')")
client.close()

const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url }) }).$extends(cacheExtension())
const read = () => prisma.note.findMany({ cache: { ttl: 60, tags: ['notes'] } })
const before = await read()
await read()
await prisma.note.update({ where: { id: 1 }, data: { body: 'second' } })
const after = await read()
// @ts-expect-error the typed cache option: ttl is a number of seconds
void (() => prisma.note.findMany({ cache: { ttl: '60' } }))
console.log(JSON.stringify({ before, after, hits: prisma.$cache.stats().hits }))
await prisma.$cache.close()
await prisma.$disconnect()
`,
  )
  execFileSync('npx', ['tsc', '-p', '.'], { cwd: app, stdio: 'pipe' })
  const prismaApp = JSON.parse(
    execFileSync('node', ['dist/prisma-app.js'], { cwd: app }).toString(),
  )
  expect(prismaApp).toEqual({
    before: [{ id: 1, body: 'first' }],
    after: [{ id: 1, body: 'second' }],
    hits: 1,
  })
}, 300_000)
