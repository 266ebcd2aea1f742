// The broker's metadata writes on a full disk: while the disk is "full", node:fs's writeSync
// refuses (ENOSPC) except for one write per removal of the reserve: the room it stood for.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { StorageFullError } from '@rivulet/storage'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../partition/test-support/records.js'
import { writeFileAtomically } from './atomic-file.js'
import { METADATA_RESERVE_BYTES, metadataReserveFile } from './metadata-reserve.js'

const disk = vi.hoisted(() => ({ full: false, writesFreed: 0 }))

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const writeSync = ((fd: number, ...rest: unknown[]) => {
    if (disk.full) {
      if (disk.writesFreed === 0) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' })
      }
      disk.writesFreed--
    }
    return (fs.writeSync as (...args: unknown[]) => number)(fd, ...rest)
  }) as typeof fs.writeSync
  const rmSync = ((path: string, options?: unknown) => {
    if (String(path).endsWith('.reserved-space') && fs.existsSync(path)) disk.writesFreed++
    return fs.rmSync(path, options as Parameters<typeof fs.rmSync>[1])
  }) as typeof fs.rmSync
  return { ...fs, writeSync, rmSync, default: { ...fs, writeSync, rmSync } }
})

const cleanups: Array<() => void> = []
afterEach(() => {
  disk.full = false
  disk.writesFreed = 0
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const clusterDir = () => {
  const { dir, remove } = tempDir('metadata-reserve')
  cleanups.push(remove)
  return join(dir, '__cluster')
}

describe('writeFileAtomically on a full disk', () => {
  it('keeps a reserve, releases it for a write that frees space on a full disk, and takes it back once there is room', () => {
    const dir = clusterDir()
    const file = join(dir, 'topics.json')
    writeFileAtomically(file, 'v1')
    expect(statSync(metadataReserveFile(dir)).size).toBe(METADATA_RESERVE_BYTES)

    disk.full = true
    // A write that does not free space (a new topic, say) must not use the reserve up.
    expect(() => writeFileAtomically(file, 'grows')).toThrow(StorageFullError)
    expect(existsSync(metadataReserveFile(dir))).toBe(true)
    writeFileAtomically(file, 'v2', { useReserve: true })
    expect(readFileSync(file, 'utf8')).toBe('v2')
    expect(existsSync(metadataReserveFile(dir))).toBe(false)
    expect(readdirSync(dir).sort()).toEqual(['topics.json'])

    disk.full = false
    writeFileAtomically(file, 'v3')
    expect(readFileSync(file, 'utf8')).toBe('v3')
    expect(statSync(metadataReserveFile(dir)).size).toBe(METADATA_RESERVE_BYTES)
  })

  it('with no reserve left: a StorageFullError, the old file intact and no .tmp left behind', () => {
    const dir = clusterDir()
    const file = join(dir, 'topics.json')
    writeFileAtomically(file, 'kept')
    disk.full = true
    writeFileAtomically(file, 'uses the reserve', { useReserve: true })
    let caught: unknown
    try {
      writeFileAtomically(file, 'no room', { useReserve: true })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(StorageFullError)
    expect(caught).toMatchObject({ file: `${file}.tmp`, code: 'ENOSPC', bytes: 7 })
    expect(readFileSync(file, 'utf8')).toBe('uses the reserve')
    expect(readdirSync(dir)).toEqual(['topics.json'])
  })
})
