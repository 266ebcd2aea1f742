/**
 * One process per data directory: two brokers appending to the same logs would corrupt them.
 * A `.lock` file holds the owner's pid; a lock whose process is gone is taken over, as after a
 * crash or SIGKILL.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { Data } from 'effect'

export class DataDirLockedError extends Data.TaggedError('DataDirLockedError')<{
  readonly dataDir: string
  readonly ownerPid: number
}> {
  override get message(): string {
    return `data directory ${this.dataDir} is in use by process ${this.ownerPid}`
  }
}

export interface DataDirLock {
  release(): void
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export const lockDataDir = (dataDir: string): DataDirLock => {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, '.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      let released = false
      return {
        release: () => {
          if (released) return
          released = true
          rmSync(file, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const ownerPid = Number.parseInt(readFileSync(file, 'utf8'), 10)
      if (Number.isInteger(ownerPid) && ownerPid !== process.pid && isAlive(ownerPid)) {
        throw new DataDirLockedError({ dataDir, ownerPid })
      }
      if (ownerPid === process.pid) throw new DataDirLockedError({ dataDir, ownerPid })
      rmSync(file, { force: true })
    }
  }
  throw new DataDirLockedError({ dataDir, ownerPid: -1 })
}
