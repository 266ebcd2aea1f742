// `npm run bench -- <name> [--json]`: runs one benchmark and prints a table, or JSON lines with --json.
import { printRows, type Row } from './lib/report.mjs'

const benchmarks: Record<string, () => Promise<Row[]>> = {
  storage: async () => (await import('./storage.mjs')).run(),
  'produce-consume': async () => (await import('./produce-consume.mjs')).run(),
  group: async () => (await import('./group.mjs')).run(),
}

const args = process.argv.slice(2)
const json = args.includes('--json')
const names = args.filter((arg) => !arg.startsWith('--'))
if (names.length === 0 || names.some((name) => !(name in benchmarks))) {
  const unknown = names.filter((name) => !(name in benchmarks))
  if (unknown.length > 0) console.error(`unknown benchmark: ${unknown.join(', ')}`)
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join('|')}> [--json]`)
  process.exit(2)
}
for (const name of names) printRows(await benchmarks[name]!(), json)
