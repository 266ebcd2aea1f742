/**
 * Small files the broker must never leave half-written: written to `<file>.tmp`, fsynced, renamed
 * over the old one and the directory fsynced, so a crash leaves the old content or the new.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export const writeFileAtomically = (file: string, content: string): void => {
  const dir = dirname(file)
  mkdirSync(dir, { recursive: true })
  const tmp = `${file}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
  const dirFd = openSync(dir, 'r')
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}

/** The file's text, or undefined when it does not exist; a leftover `.tmp` is removed. */
export const readFileIfExists = (file: string): string | undefined => {
  rmSync(`${file}.tmp`, { force: true })
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
