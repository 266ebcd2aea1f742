// `npm test`: builds, typechecks and tests every project through Nx, then adds up the vitest
// JSON reports into one closing line, `N passed, N failed`, which CI reads.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { colourEnv } from './colour-env.mjs'

const root = new URL('..', import.meta.url).pathname
const projects = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces
const reportOf = (project) => join(root, project, '.vitest-report.json')
for (const project of projects) rmSync(reportOf(project), { force: true })

const env = colourEnv(process.stdout.isTTY === true, { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TUI: 'false' })
const args = ['nx', 'run-many', '-t', 'build', 'typecheck', 'test', '--outputStyle=static', ...process.argv.slice(2)]
const child = spawn('npx', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
let output = ''
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  output += chunk.toString()
})
const exitCode = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)))

let passed = 0
let failed = 0
for (const project of projects) {
  if (!existsSync(reportOf(project))) continue
  const report = JSON.parse(readFileSync(reportOf(project), 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests
}
// A build or typecheck failure runs no test but must still show as a failure in the count.
const failedTasks = output.split('Failed tasks:')[1]?.match(/^\s+-\s+\S+:\S+/gm) ?? []
const failedNonTestTasks = failedTasks.filter((line) => !line.trim().endsWith(':test')).length
if (exitCode !== 0 && failed === 0) failed = Math.max(1, failedNonTestTasks)
else failed += failedNonTestTasks

console.log(`\n${passed} passed, ${failed} failed`)
process.exit(exitCode === 0 && failed === 0 ? 0 : 1)
