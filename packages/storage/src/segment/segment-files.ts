/**
 * Kafka's names for a segment's files: the base offset as 20 zero-padded digits, then a suffix
 * (`00000000000000000042.log`). A state suffix may follow the kind, as Kafka does while cleaning or
 * deleting (`….log.cleaned`, `….index.swap`, `….timeindex.deleted`), and what a crash left of
 * those states is settled here before a log lists its segments.
 */
import { closeSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { scanBatches } from '../recovery.js'

export type SegmentFileKind = '.log' | '.index' | '.timeindex'
export type SegmentFileState = '.cleaned' | '.swap' | '.deleted'
export type SegmentFileSuffix = SegmentFileKind | SegmentFileState | `${SegmentFileKind}${SegmentFileState}`

export interface SegmentFileName {
  readonly baseOffset: bigint
  readonly suffix: SegmentFileSuffix
}

const OFFSET_DIGITS = 20
const MAX_OFFSET = 2n ** 63n - 1n
const NAME_PATTERN = /^(\d{20})((?:\.log|\.index|\.timeindex)?(?:\.cleaned|\.swap|\.deleted)?)$/

export const segmentFileName = (baseOffset: bigint, suffix: SegmentFileSuffix): string => {
  if (baseOffset < 0n || baseOffset > MAX_OFFSET) {
    throw new RangeError(`segment base offset ${baseOffset} is outside [0, 2^63-1]`)
  }
  return baseOffset.toString().padStart(OFFSET_DIGITS, '0') + suffix
}

export const segmentFilePath = (dir: string, baseOffset: bigint, suffix: SegmentFileSuffix): string =>
  join(dir, segmentFileName(baseOffset, suffix))

/** The base offset and suffix of a segment file's name; undefined for any other name. */
export const parseSegmentFileName = (name: string): SegmentFileName | undefined => {
  const match = NAME_PATTERN.exec(name)
  if (match === null || match[2] === '') return undefined
  const baseOffset = BigInt(match[1])
  if (baseOffset > MAX_OFFSET) return undefined
  return { baseOffset, suffix: match[2] as SegmentFileSuffix }
}

const byBaseOffsetThenName = (a: SegmentFileName & { name: string }, b: SegmentFileName & { name: string }): number =>
  a.baseOffset < b.baseOffset ? -1 : a.baseOffset > b.baseOffset ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0

/** Every segment file in `dir` (other names are ignored), sorted by base offset, then name. */
export const listSegmentFiles = (dir: string): Array<SegmentFileName & { readonly name: string }> => {
  const found: Array<SegmentFileName & { name: string }> = []
  for (const name of readdirSync(dir)) {
    const parsed = parseSegmentFileName(name)
    if (parsed !== undefined) found.push({ ...parsed, name })
  }
  return found.sort(byBaseOffsetThenName)
}

/** Base offsets of the segments in `dir`: those with a `.log` file, ascending. */
export const listSegmentBaseOffsets = (dir: string): bigint[] =>
  listSegmentFiles(dir)
    .filter((file) => file.suffix === '.log')
    .map((file) => file.baseOffset)

/**
 * Settles what a crash left half done, Kafka's way; call it before listing the segments.
 * - `*.deleted` files are removed (their deletion was already decided), and so are `*.cleaned`
 *   ones (a cleaning that never reached its swap).
 * - `<base>.log.swap` is a finished cleaned segment (the cleaner fsyncs it before renaming it to
 *   `.swap`, and removes the segments it replaces only after that): the `.log`, `.index` and
 *   `.timeindex` of every segment whose base offset lies in [base, the swap's last offset + 1) are
 *   removed, and the swap becomes `<base>.log`. Index swaps are removed too: the new segment's
 *   indexes are rebuilt when it is opened.
 * Returns the base offsets of the swaps it completed.
 */
export const finishInterruptedSwaps = (dir: string): bigint[] => {
  const files = listSegmentFiles(dir)
  for (const file of files) {
    const leftover = file.suffix.endsWith('.deleted') || file.suffix.endsWith('.cleaned')
    if (leftover || file.suffix === '.index.swap' || file.suffix === '.timeindex.swap') rmSync(join(dir, file.name), { force: true })
  }
  const completed: bigint[] = []
  for (const swap of files.filter((file) => file.suffix === '.log.swap')) {
    const endOffset = swapEndOffset(join(dir, swap.name), swap.baseOffset)
    for (const file of files) {
      const live = file.suffix === '.log' || file.suffix === '.index' || file.suffix === '.timeindex'
      if (live && file.baseOffset >= swap.baseOffset && file.baseOffset < endOffset) rmSync(join(dir, file.name), { force: true })
    }
    renameSync(join(dir, swap.name), segmentFilePath(dir, swap.baseOffset, '.log'))
    completed.push(swap.baseOffset)
  }
  return completed
}

/** Last offset + 1 of the swap's valid batches; base + 1 when it has none (it replaces only its namesake). */
const swapEndOffset = (file: string, baseOffset: bigint): bigint => {
  const fd = openSync(file, 'r')
  try {
    const lastOffset = scanBatches(fd, { segmentBaseOffset: baseOffset, contiguous: false }).lastOffset
    return lastOffset === undefined ? baseOffset + 1n : lastOffset + 1n
  } finally {
    closeSync(fd)
  }
}
