// Issue 8: the packages install and run outside this repository, as a user's project gets them:
// each package is packed with `npm pack`, a fresh project outside the repo installs the tarballs
// (third-party dependencies from the npm cache or registry; @types/node, as a TypeScript user on
// Node has it: Rivulet's records are Buffers), then a program imports @rivulet/core and
// typechecks against its published types, and the installed `rivulet` runs.
// Every source map in a tarball must point at a file that is in it.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = new URL('../../../', import.meta.url).pathname
const packages = ['storage', 'transport', 'core', 'cli']
const work = mkdtempSync(join(tmpdir(), 'rivulet-packed-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const npm = (args: string[], cwd: string) => run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } })

describe('the packed packages', () => {
  it('install into a project outside the repository, import, typecheck and run', { timeout: 300_000 }, async () => {
    const tarballs = join(work, 'tarballs')
    mkdirSync(tarballs)
    const { stdout } = await npm(['pack', '--json', '--pack-destination', tarballs, ...packages.flatMap((p) => ['-w', `packages/${p}`])], root)
    const packed = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[]
    expect(packed.map((p) => p.name).sort()).toEqual(packages.map((p) => `@rivulet/${p}`).sort())
    for (const pkg of packed) {
      const files = new Set(pkg.files.map((f) => f.path))
      expect([...files].filter((f) => f.endsWith('.tsbuildinfo') || f.endsWith('.test.ts') || f.includes('test-support')), pkg.name).toEqual([])
      expect(files.has('LICENSE') && files.has('README.md') && files.has('package.json'), `${pkg.name} LICENSE and README`).toBe(true)
      // A map names its sources relative to itself: each must be shipped too.
      const dir = join(root, 'packages', pkg.name.slice('@rivulet/'.length))
      for (const map of [...files].filter((f) => f.endsWith('.map'))) {
        const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[] }
        for (const source of sources) expect(files.has(posix.normalize(posix.join(posix.dirname(map), source))), `${pkg.name}: ${map} names ${source}`).toBe(true)
      }
    }

    const app = join(work, 'app')
    mkdirSync(app)
    const tarballOf = (name: string) => `file:${join(tarballs, packed.find((p) => p.name === name)!.filename)}`
    const rivulet = Object.fromEntries(packages.map((p) => [`@rivulet/${p}`, tarballOf(`@rivulet/${p}`)]))
    // overrides: the packages' dependencies on each other resolve to these tarballs, not the registry.
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: rivulet, devDependencies: { '@types/node': '20.19.43' }, overrides: rivulet }))
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app)

    writeFileSync(
      join(app, 'main.mts'),
      [
        "import { Rivulet, type RecordMetadata } from '@rivulet/core'",
        "const rv = await Rivulet.embedded({ dataDir: './data' })",
        "await rv.admin.createTopic('orders', { partitions: 2, ifNotExists: true })",
        "const sent: RecordMetadata = await rv.producer().send('orders', { key: 'u1', value: 'hello' })",
        'console.log(`sent ${sent.topic} ${sent.offset}`)',
        'await rv.close()',
        '',
      ].join('\n'),
    )
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', noEmit: true, types: ['node'] }, include: ['main.mts'] }))
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', app], { cwd: app }).catch((error: { stdout?: string }) => {
      throw new Error(`the installed types do not typecheck a user's program:\n${error.stdout ?? ''}`)
    })
    const program = await run(join(root, 'node_modules', '.bin', 'tsx'), ['main.mts'], { cwd: app })
    expect(program.stdout).toBe('sent orders 0\n')
    const installed = join(app, 'node_modules', '.bin', 'rivulet')
    expect((await run(installed, ['topic', 'list'], { cwd: app })).stdout).toBe('orders\n')
    expect(readdirSync(join(app, 'node_modules', '@rivulet')).sort()).toEqual([...packages].sort())
  })
})
