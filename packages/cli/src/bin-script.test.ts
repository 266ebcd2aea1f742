// The committed bin script (bin/rivulet.js) npm links as `rivulet`: it must exist before any
// build (a fresh `npm ci` links it) and load dist/main.js, or say plainly that the build is missing.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'

const packageDir = new URL('..', import.meta.url).pathname

/** A copy of the package's bin script in a directory of its own, with or without a dist/main.js. */
const installedCopy = (main?: string) => {
  const dir = tempDir('bin')
  mkdirSync(join(dir, 'bin'))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  copyFileSync(join(packageDir, 'bin/rivulet.js'), join(dir, 'bin/rivulet.js'))
  if (main !== undefined) {
    mkdirSync(join(dir, 'dist'))
    writeFileSync(join(dir, 'dist/main.js'), main)
  }
  return join(dir, 'bin/rivulet.js')
}

describe('bin/rivulet.js', () => {
  it('is what package.json links as rivulet, is shipped, and is executable', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] }
    expect(manifest.bin).toEqual({ rivulet: './bin/rivulet.js' })
    expect(manifest.files).toContain('bin')
    expect(statSync(join(packageDir, 'bin/rivulet.js')).mode & 0o111).not.toBe(0)
    // Committed, not built: git knows it with its executable bit.
    expect(execFileSync('git', ['ls-files', '-s', 'bin/rivulet.js'], { cwd: packageDir, encoding: 'utf8' })).toMatch(/^100755 /)
  })

  it('says the build is missing, with exit code 1, when dist/main.js is not there', () => {
    const run = spawnSync(process.execPath, [installedCopy(), '--version'], { encoding: 'utf8' })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/^rivulet: the CLI is not built \(.*dist\/main\.js is missing\); run `npm run build`/)
  })

  it('runs dist/main.js with the arguments and exit code it sets', () => {
    const run = spawnSync(process.execPath, [installedCopy('console.log(process.argv.slice(2).join(" ")); process.exitCode = 3\n'), 'topic', 'list'], { encoding: 'utf8' })
    expect([run.status, run.stdout]).toEqual([3, 'topic list\n'])
  })
})
