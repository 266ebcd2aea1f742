/**
 * Room kept for the broker's own files on a full disk: `__cluster/.reserved-space`, a file of
 * zeros that is removed to make room when a metadata write (topics.json, producer-ids.json) hits
 * ENOSPC, and written again by the next metadata write that finds room. Without it, deleting a
 * topic to free space on a full disk would fail: the registry rewrite needs room for its `.tmp`.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Enough for a topics.json of several hundred topics; tmpfs and ext4 allocate it in whole pages. */
export const METADATA_RESERVE_BYTES = 64 * 1024

export const metadataReserveFile = (dir: string): string => join(dir, '.reserved-space')

/** Makes sure the reserve is there, whole; says whether it is. On a full disk it stays absent. */
export const ensureMetadataReserve = (dir: string): boolean => {
  const file = metadataReserveFile(dir)
  mkdirSync(dir, { recursive: true })
  try {
    if (statSync(file).size === METADATA_RESERVE_BYTES) return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  // Written whole under another name first: a reserve cut short by ENOSPC would hold less than it claims.
  const tmp = `${file}.tmp`
  try {
    const fd = openSync(tmp, 'w')
    try {
      const zeros = Buffer.alloc(METADATA_RESERVE_BYTES)
      for (let written = 0; written < zeros.length; ) written += writeSync(fd, zeros, written, zeros.length - written, written)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
    return true
  } catch (error) {
    rmSync(tmp, { force: true })
    if (isNoSpace(error)) return false
    throw error
  }
}

/** Frees the reserve for a metadata write that hit a full disk; says whether there was one to free. */
export const releaseMetadataReserve = (dir: string): boolean => {
  const file = metadataReserveFile(dir)
  try {
    rmSync(file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

export const isNoSpace = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}
