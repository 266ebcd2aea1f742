/**
 * Small files the broker must never leave half-written: written to `<file>.tmp`, fsynced, renamed
 * over the old one and the directory fsynced, so a crash leaves the old content or the new.
 * On a full disk the old file stays as it was, the `.tmp` is removed, and it is a StorageFullError;
 * a write that frees space once done (`useReserve`: the registry without a deleted topic) is first
 * tried once more after releasing the directory's reserve (metadata-reserve.ts), which the next
 * write takes back once there is room. Other writes must not use it up, or a delete could not.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { StorageFullError } from '@rivulet/storage'
import { ensureMetadataReserve, isNoSpace, releaseMetadataReserve } from './metadata-reserve.js'

export const writeFileAtomically = (file: string, content: string, options: { readonly useReserve?: boolean } = {}): void => {
  const dir = dirname(file)
  mkdirSync(dir, { recursive: true })
  // Taken back (if it was released) while nothing is written yet: a failure here changes nothing.
  ensureMetadataReserve(dir)
  const tmp = `${file}.tmp`
  try {
    writeAndRename(tmp, file, content)
  } catch (error) {
    rmSync(tmp, { force: true })
    if (!isNoSpace(error)) throw error
    if (options.useReserve !== true || !releaseMetadataReserve(dir)) throw noSpace(error, tmp, content)
    try {
      writeAndRename(tmp, file, content)
    } catch (again) {
      rmSync(tmp, { force: true })
      throw isNoSpace(again) ? noSpace(again, tmp, content) : again
    }
  }
  const dirFd = openSync(dir, 'r')
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}

const writeAndRename = (tmp: string, file: string, content: string): void => {
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
}

const noSpace = (error: unknown, file: string, content: string): StorageFullError =>
  new StorageFullError({ file, bytes: Buffer.byteLength(content), code: (error as NodeJS.ErrnoException).code ?? 'ENOSPC' })

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
