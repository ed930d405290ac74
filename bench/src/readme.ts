// Regenerates the "Benchmarks" section of the root README from bench/results/latest.json,
// so the numbers in the README are always the ones a real `pnpm bench` run produced.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SuiteResult } from './harness.js'

const root = join(import.meta.dirname, '..', '..')
const { machine, versions, results } = JSON.parse(
  readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8'),
) as {
  machine: Record<string, string | number>
  versions?: Record<string, string>
  results: Record<string, SuiteResult>
}

const lines: string[] = []
lines.push(
  `Measured by \`pnpm bench\` on ${machine.date?.toString().slice(0, 10)}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}${
    versions
      ? `, ${Object.entries(versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`
      : ''
  }. Ratios are what we claim; absolute times vary between machines.`,
)
lines.push('', '| target | measured | goal | |', '| --- | --- | --- | --- |')
for (const r of Object.values(results))
  for (const t of r.targets)
    lines.push(`| ${t.name} | ${t.value} | ${t.goal} | ${t.met ? 'met' : '**not met**'} |`)
const notes = Object.values(results).flatMap((r) => r.notes ?? [])
if (notes.length > 0) lines.push('', ...[...new Set(notes)].map((n) => `- ${n}`))
lines.push(
  '',
  '<details><summary>Latency of every task (µs)</summary>',
  '',
  '| group | task | p50 µs | p99 µs | samples |',
  '| --- | --- | ---: | ---: | ---: |',
)
for (const r of Object.values(results))
  for (const s of r.samples)
    lines.push(
      `| ${s.group} | ${s.name} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.samples} |`,
    )
lines.push('', '</details>')
for (const [name, r] of Object.entries(results)) {
  if (Object.keys(r.facts).length === 0) continue
  lines.push(
    '',
    `<details><summary>${name}: other figures</summary>`,
    '',
    '| figure | value |',
    '| --- | ---: |',
  )
  for (const [k, v] of Object.entries(r.facts)) lines.push(`| ${k} | ${v} |`)
  lines.push('', '</details>')
}

const readmePath = join(root, 'README.md')
const readme = readFileSync(readmePath, 'utf8')
const start = '<!-- bench:start -->'
const end = '<!-- bench:end -->'
if (!readme.includes(start) || !readme.includes(end))
  throw new Error(`README.md needs ${start} … ${end} markers`)
const next = `${readme.slice(0, readme.indexOf(start) + start.length)}\n${lines.join('\n')}\n${readme.slice(readme.indexOf(end))}`
writeFileSync(readmePath, next)
console.log('README.md benchmark section regenerated from bench/results/latest.json')
