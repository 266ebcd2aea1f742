#!/usr/bin/env node
// The `rivulet` command as npm links it: committed, so `npm ci` finds it before anything is
// built, and it loads the build (dist/main.js) when run.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const main = new URL('../dist/main.js', import.meta.url)
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(`rivulet: the CLI is not built (${fileURLToPath(main)} is missing); run \`npm run build\` at the repository root first\n`)
  process.exit(1)
}
await import(main.href)
