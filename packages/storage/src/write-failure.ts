/**
 * Turns what a failed write threw into the storage error a caller can act on: a full disk (or
 * quota, or file size limit) is StorageFullError, any other errno StorageWriteError. Anything that
 * is not an errno (a bug) is returned as it was.
 */
import { StorageFullError, StorageWriteError } from './errors.js'

const OUT_OF_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG'])

const codeOf = (error: unknown): string | undefined => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** Whether `error` is what a failed system call throws (it carries an errno code). */
export const isErrno = (error: unknown): boolean => codeOf(error) !== undefined

/** Whether `error` says the disk (or quota) is full, raw or already typed. */
export const isOutOfSpace = (error: unknown): boolean =>
  error instanceof StorageFullError || OUT_OF_SPACE_CODES.has(codeOf(error) ?? '')

export const writeFailure = (error: unknown, file: string, bytes: number): unknown => {
  if (error instanceof StorageFullError || error instanceof StorageWriteError) return error
  const code = codeOf(error)
  if (code === undefined) return error
  return OUT_OF_SPACE_CODES.has(code) ? new StorageFullError({ file, bytes, code }) : new StorageWriteError({ file, bytes, code })
}
