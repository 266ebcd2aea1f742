// Issue 8, item 5: opening a data directory that is missing, not Rivulet's, or a file.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { DataDirNotADirectoryError, NoDataDirError } from './errors.js'
import { Rivulet } from './rivulet.js'

const roots: string[] = []
afterEach(() => roots.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const root = () => {
  const dir = tempDir('data-dir')
  roots.push(dir)
  return dir
}

describe('Rivulet.embedded on its data directory', () => {
  it('with createIfMissing false refuses a missing directory, or one without Rivulet data, and creates nothing', async () => {
    const missing = join(root(), 'typo')
    await expect(Rivulet.embedded({ dataDir: missing, createIfMissing: false })).rejects.toThrow(new NoDataDirError({ dataDir: missing }))
    expect(existsSync(missing)).toBe(false)
    const empty = join(root(), 'empty')
    mkdirSync(empty)
    await expect(Rivulet.embedded({ dataDir: empty, createIfMissing: false })).rejects.toBeInstanceOf(NoDataDirError)
    expect(existsSync(join(empty, '__cluster'))).toBe(false)
  })

  it('with createIfMissing false opens one that holds a cluster', async () => {
    const dataDir = join(root(), 'data')
    await (await Rivulet.embedded({ dataDir })).close()
    const rv = await Rivulet.embedded({ dataDir, createIfMissing: false })
    expect(await rv.admin.listTopics()).toEqual([])
    await rv.close()
  })

  it('refuses a file where the directory should be, by name, whether or not it may create', async () => {
    const file = join(root(), 'data')
    writeFileSync(file, 'not a directory')
    for (const createIfMissing of [true, false]) {
      const error = await Rivulet.embedded({ dataDir: file, createIfMissing }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DataDirNotADirectoryError)
      expect((error as Error).message).toBe(`no Rivulet data directory at ${file}: it is a file, not a directory`)
    }
  })
})
