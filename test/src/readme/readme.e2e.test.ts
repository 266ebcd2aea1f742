// Every code block of the README runs here as a newcomer would run it, so the README cannot
// drift from the code: each TypeScript block is typechecked, then run twice with tsx in a fresh
// directory (the second run must work on what the first left); each shell block runs with bash
// (`set -euo pipefail`) in a fresh directory with the built `rivulet` on PATH. A `text` block
// right after a block is what its first run must print. The opening block (the newcomer's two
// commands) names npm scripts: each must exist, and `npm start`'s program runs twice.
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { type CodeBlock, codeBlocks } from './readme-blocks.js'

const run = promisify(execFile)
const root = new URL('../../../', import.meta.url).pathname
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = codeBlocks(readme)
const [opening, ...rest] = blocks
const typescriptBlocks = rest.filter((b) => b.language === 'ts')
const shellBlocks = rest.filter((b) => b.language === 'sh')
const tsx = join(root, 'node_modules', '.bin', 'tsx')
const tsc = join(root, 'node_modules', '.bin', 'tsc')

// As a user's terminal-less run: Nx sets FORCE_COLOR for its tasks, which would colour console.log.
const { FORCE_COLOR: _forced, ...inherited } = process.env
const childEnv = { ...inherited, NO_COLOR: '1' }

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory outside the repository that resolves packages as the repository does. */
const project = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-readme-'))
  dirs.push(dir)
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  return dir
}

const where = (block: CodeBlock) => `README.md line ${block.line}`

const expectOutput = (block: CodeBlock, stdout: string) => {
  const expected = block.expectedOutput
  if (expected === undefined) return
  if (expected.unordered) expect(stdout.split('\n').sort(), where(block)).toEqual(expected.text.split('\n').sort())
  else expect(stdout, where(block)).toBe(expected.text)
}

const failureOf = (block: CodeBlock, error: unknown): Error => {
  const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
  return new Error(`${where(block)} failed: ${(error as Error).message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`)
}

describe('README', () => {
  it('has the blocks this test expects: the opening commands, TypeScript and shell', () => {
    expect(opening?.language).toBe('sh')
    expect(typescriptBlocks.length).toBeGreaterThanOrEqual(2)
    expect(shellBlocks.length).toBeGreaterThanOrEqual(1)
    expect(rest.every((b) => b.language === 'ts' || b.language === 'sh'), 'only ts, sh and text blocks').toBe(true)
  })

  it('opens with npm commands whose scripts exist, and npm start runs twice in a fresh directory', async () => {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>
    const commands = opening!.code
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== '')
    expect(commands.length).toBe(2)
    for (const command of commands) {
      const named = [...command.matchAll(/npm (?:run )?(\w+)/g)].map((m) => m[1]!).filter((name) => name !== 'ci')
      for (const name of named) expect(scripts[name], `npm script "${name}"`).toBeDefined()
    }
    // The start script builds quietly, then runs the quickstart; the build is this test run's own.
    const program = scripts.start!.split('&&').at(-1)!.trim().split(/\s+/)
    expect(program[0]).toBe('tsx')
    const dataDir = join(project(), 'data')
    for (let pass = 0; pass < 2; pass++) {
      const { stdout } = await run(tsx, [...program.slice(1), dataDir], { cwd: root, env: childEnv })
      expect(stdout).toMatch(/records in "orders"/)
    }
  })

  it('has TypeScript blocks that typecheck', async () => {
    const dir = project()
    typescriptBlocks.forEach((block, i) => writeFileSync(join(dir, `block-${i}-line-${block.line}.mts`), block.code))
    const options = { strict: true, module: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: ['node'] }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, include: ['*.mts'] }))
    await run(tsc, ['-p', dir], { cwd: dir }).catch((error: { stdout?: string }) => {
      throw new Error(`README TypeScript blocks do not typecheck:\n${error.stdout ?? ''}`)
    })
  })

  for (const block of typescriptBlocks) {
    it(`runs the TypeScript block at line ${block.line} twice in a fresh directory`, async () => {
      const dir = project()
      writeFileSync(join(dir, 'main.mts'), block.code)
      const first = await run(tsx, ['main.mts'], { cwd: dir, env: childEnv }).catch((error) => {
        throw failureOf(block, error)
      })
      expectOutput(block, first.stdout)
      await run(tsx, ['main.mts'], { cwd: dir, env: childEnv }).catch((error) => {
        throw failureOf(block, error)
      })
    })
  }

  for (const block of shellBlocks) {
    it(`runs the shell block at line ${block.line} in a fresh directory`, async () => {
      const dir = project()
      const bin = join(dir, '.bin')
      const shim = join(dir, 'rivulet-shim')
      writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(root, 'packages/cli/bin/rivulet.js'))} "$@"\n`)
      chmodSync(shim, 0o755)
      const script = `set -euo pipefail\nmkdir -p ${JSON.stringify(bin)}\nln -s ${JSON.stringify(shim)} ${JSON.stringify(join(bin, 'rivulet'))}\nexport PATH=${JSON.stringify(bin)}:"$PATH"\n${block.code}`
      const { stdout } = await run('bash', ['-c', script], { cwd: dir, env: childEnv }).catch((error) => {
        throw failureOf(block, error)
      })
      expectOutput(block, stdout)
    })
  }
})
