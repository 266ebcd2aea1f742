/**
 * The small files beside a log's segments that tell open what it may trust, Kafka's way:
 *
 * - `recovery-point-offset-checkpoint`: every offset below it was on disk (fdatasynced) when it
 *   was written. Raised in place after each flush that moves it (written whole by rename the first
 *   time in a process, and whenever it is lowered), without an fsync of its own (a process crash keeps it; an OS crash may leave an older one, which is only
 *   more cautious), and with an fsync at close. Open treats damage below it as corruption, never
 *   as a torn tail.
 * - `.clean-shutdown`: written by Log.close after the last flush (its directory fsynced), removed (durably) by
 *   Log.open before anything else happens. Present at open: nothing can have been torn, so
 *   nothing is recovered, and any damage is corruption.
 * - `compacted-below-offset-checkpoint`: segments whose base offset is below it may have been
 *   rewritten by compaction and so have gaps between batches; renamed into place before a cleaned
 *   segment is swapped in (the swap's directory fsync keeps it). It outlives a change of cleanup policy from compact to delete.
 *
 * Each holds a version line `0` and one decimal offset. A file that does not parse is reported,
 * not trusted: the caller falls back to what it can check without it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint'
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'
export const COMPACTED_BELOW_FILE = 'compacted-below-offset-checkpoint'

const VERSION = '0'
const OFFSET_PATTERN = /^(0|[1-9]\d{0,18})$/
const MAX_OFFSET = 2n ** 63n - 1n

/** An offset read from a checkpoint file: absent, unreadable (why), or the value. */
export type CheckpointRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'damaged'; readonly reason: string }
  | { readonly kind: 'offset'; readonly offset: bigint }

/**
 * Whether a segment may have gaps between its batches: below the compacted-below checkpoint, or
 * a closed segment of a log whose policy includes compact (compacted before that checkpoint
 * existed). Every other segment must be contiguous and start at its base offset.
 */
export const segmentMayHaveGaps = (baseOffset: bigint, isActive: boolean, compactedBelow: bigint, cleanupPolicy: string): boolean =>
  baseOffset < compactedBelow || (!isActive && cleanupPolicy !== 'delete')

export const readOffsetCheckpoint = (dir: string, name: string): CheckpointRead => {
  const file = join(dir, name)
  let text: string
  try {
    text = readFileSync(file, 'latin1')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    throw error
  }
  const lines = text.split('\n')
  if (lines.length !== 3 || lines[0] !== VERSION || lines[2] !== '' || !OFFSET_PATTERN.test(lines[1]!)) {
    return { kind: 'damaged', reason: `${file} does not hold "${VERSION}\\n<offset>\\n": ${JSON.stringify(text.slice(0, 64))}` }
  }
  const offset = BigInt(lines[1]!)
  if (offset > MAX_OFFSET) return { kind: 'damaged', reason: `${file} holds offset ${offset}, above 2^63-1` }
  return { kind: 'offset', offset }
}

/**
 * Raises a checkpoint this process wrote before, in place: one write at position 0, no temporary
 * file, no rename (the cost of a flush's checkpoint). The caller guarantees `offset` is at least
 * what the file holds, so the new text is never shorter than the old and leaves no stale tail.
 * A write torn by an OS crash reads as damaged, which open takes as "no recovery point".
 */
export const raiseOffsetCheckpoint = (dir: string, name: string, offset: bigint): void => {
  const fd = openSync(join(dir, name), 'r+')
  try {
    const bytes = Buffer.from(`${VERSION}\n${offset}\n`, 'latin1')
    writeSync(fd, bytes, 0, bytes.length, 0)
  } finally {
    closeSync(fd)
  }
}

/** Replaces the checkpoint atomically (rename); `durable` fsyncs the file and the directory too. */
export const writeOffsetCheckpoint = (dir: string, name: string, offset: bigint, durable: boolean): void => {
  writeAtomically(dir, name, `${VERSION}\n${offset}\n`, durable)
}

export const hasCleanShutdownMarker = (dir: string): boolean => {
  try {
    return readFileSync(join(dir, CLEAN_SHUTDOWN_FILE), 'latin1') === `${VERSION}\n`
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/**
 * One fsync, of the directory: the marker's bytes are not fsynced, because an OS crash that loses
 * them leaves a file that does not read as a marker, and so an open that recovers: the safe side.
 */
export const writeCleanShutdownMarker = (dir: string): void => {
  writeAtomically(dir, CLEAN_SHUTDOWN_FILE, `${VERSION}\n`, false)
  fsyncDirectory(dir)
}

/** Removes the marker and makes the removal durable: a crash after the next append must not look clean. */
export const removeCleanShutdownMarker = (dir: string): void => {
  rmSync(join(dir, CLEAN_SHUTDOWN_FILE), { force: true })
  fsyncDirectory(dir)
}

const writeAtomically = (dir: string, name: string, text: string, durable: boolean): void => {
  const temporary = join(dir, `${name}.tmp`)
  if (durable) {
    const fd = openSync(temporary, 'w')
    try {
      writeFileSync(fd, text, 'latin1')
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } else {
    writeFileSync(temporary, text, 'latin1')
  }
  renameSync(temporary, join(dir, name))
  if (durable) fsyncDirectory(dir)
}

export const fsyncDirectory = (dir: string): void => {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
