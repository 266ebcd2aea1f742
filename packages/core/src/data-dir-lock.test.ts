import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptDataDirLockError, DataDirLockedError, lockDataDir } from './data-dir-lock.js'
import { tempDir, thrownBy } from '@rivulet/test-kit'


const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid as number
const lockFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.startsWith('.lock')).sort()
const NONCE = 'ab'.repeat(16)

describe('lockDataDir', () => {
  it('refuses a second lock while held, in this process too, and opens again once released', () => {
    const dir = tempDir('lock')
    const lock = lockDataDir(dir)
    expect(thrownBy(() => lockDataDir(dir), DataDirLockedError)).toMatchObject({ dataDir: dir, ownerPid: process.pid })
    lock.release()
    expect(readFileSync(join(dir, '.lock.0'), 'utf8')).toBe('released')
    const again = lockDataDir(dir)
    // The released generation is cleaned up by the next owner; no temporary file stays behind.
    expect(lockFiles(dir)).toEqual(['.lock.1'])
    expect(readFileSync(join(dir, '.lock.1'), 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f]{32}$`))
    again.release()
  })

  it('takes over a lock whose owner is dead, leaving the stale file for nobody to trust', () => {
    const dir = tempDir('lock')
    writeFileSync(join(dir, '.lock.4'), `${deadPid()} ${NONCE}`)
    const lock = lockDataDir(dir)
    expect(lockFiles(dir)).toEqual(['.lock.5'])
    lock.release()
  })

  it('takes over a lock naming its own pid that this process never took (a restarted container)', () => {
    const dir = tempDir('lock')
    writeFileSync(join(dir, '.lock.0'), `${process.pid} ${NONCE}`)
    lockDataDir(dir).release()
  })

  it('respects a lock of the older single-file format naming a live process, and ignores a dead one', () => {
    const dir = tempDir('lock')
    writeFileSync(join(dir, '.lock'), String(process.ppid))
    expect(thrownBy(() => lockDataDir(dir), DataDirLockedError)).toMatchObject({ ownerPid: process.ppid })
    writeFileSync(join(dir, '.lock'), String(deadPid()))
    lockDataDir(dir).release()
  })

  it('refuses a lock file that holds neither an owner nor the released mark, naming it', () => {
    for (const content of ['', '12', 'garbage', `${process.ppid} short`]) {
      const dir = tempDir('lock')
      writeFileSync(join(dir, '.lock.0'), content)
      const error = thrownBy(() => lockDataDir(dir), CorruptDataDirLockError)
      expect(error).toMatchObject({ file: join(dir, '.lock.0'), content })
      expect(error.message).toContain('remove the file')
    }
  })

  it('removes temporary files of dead processes', () => {
    const dir = tempDir('lock')
    writeFileSync(join(dir, `.lock-tmp.${deadPid()}.0123`), 'x')
    const lock = lockDataDir(dir)
    expect(lockFiles(dir)).toEqual(['.lock.0'])
    lock.release()
  })
})
