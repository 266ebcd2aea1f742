// `npm start` and `npm run bench` build first; the build's own output (a few dozen lines of Nx
// task logs) would bury the program's. It is kept back and shown only when the build fails.
import { spawn } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const env = { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TUI: 'false' }
const child = spawn('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
const chunks = []
child.stdout.on('data', (chunk) => chunks.push(chunk))
child.stderr.on('data', (chunk) => chunks.push(chunk))
const exitCode = await new Promise((resolve) => {
  child.on('error', (error) => {
    chunks.push(Buffer.from(`could not run the build: ${error.message}\n`))
    resolve(1)
  })
  child.on('close', (code) => resolve(code ?? 1))
})
if (exitCode !== 0) {
  process.stderr.write(Buffer.concat(chunks))
  process.stderr.write(`\nthe build failed (exit ${exitCode}); its output is above\n`)
}
process.exit(exitCode)
