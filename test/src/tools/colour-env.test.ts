// Issue 8, item 6: `npm test` piped (as in CI) prints no colour codes; on a terminal it may.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs tool of the repository, without types
import { colourEnv } from '../../../tools/colour-env.mjs'

const run = promisify(execFile)

describe('colourEnv', () => {
  it('turns colour off for piped output and leaves a terminal as it is', () => {
    expect(colourEnv(false, { FORCE_COLOR: 'true', PATH: '/bin' })).toEqual({ FORCE_COLOR: '0', NO_COLOR: '1', PATH: '/bin' })
    expect(colourEnv(true, { FORCE_COLOR: 'true' })).toEqual({ FORCE_COLOR: 'true' })
  })

  it('keeps escape codes out of what a child prints under it, as Nx forcing colour would not', async () => {
    const script = "console.log('%o', { n: 1 }); console.log(process.stdout.hasColors?.() ? 'colour' : 'plain')"
    const forced = await run(process.execPath, ['-e', script], { env: { ...process.env, FORCE_COLOR: '1' } })
    expect(forced.stdout).toContain('\x1b[')
    const piped = await run(process.execPath, ['-e', script], { env: colourEnv(false, { ...process.env, FORCE_COLOR: '1' }) })
    expect(piped.stdout).not.toContain('\x1b[')
  })
})
