/**
 * Walking the batches of a segment: positional reads of its `.log`, a walk over batch headers that
 * skips the bodies (finding the batch holding an offset or a timestamp reads one small window, not
 * every batch), and the checks on batches going in (append) and coming out (read). Synchronous,
 * so one shared window serves every segment.
 */
import { readSync } from 'node:fs'
import { CorruptRecordBatchError } from '../errors.js'
import { BATCH_HEADER_BYTES, baseOffsetAt, batchSizeAt, lastOffsetAt, maxTimestampAt } from '../record-batch/batch-header.js'
import { RecordCursor } from '../record-batch/decoder.js'
import { checkBatchAt } from '../record-batch/validate.js'

const WALK_WINDOW_BYTES = 16 * 1024
const window = Buffer.allocUnsafe(WALK_WINDOW_BYTES)

/** Reads `length` bytes at `position` into buf[0, length); returns fewer only at the end of the file. */
export const readInto = (fd: number, buf: Buffer, length: number, position: number): number => {
  let filled = 0
  while (filled < length) {
    const read = readSync(fd, buf, filled, length - filled, position + filled)
    if (read === 0) break
    filled += read
  }
  return filled
}

export const readBytesAt = (fd: number, position: number, length: number): Buffer => {
  const bytes = Buffer.allocUnsafe(length)
  const read = readInto(fd, bytes, length, position)
  return read === length ? bytes : bytes.subarray(0, read)
}

/**
 * Walks the batch headers of `file` from `position` (a batch start) to `end` until `stop` says so,
 * and returns that batch's position, or -1 at `end`. `stop` sees the header at `at` in a window the
 * next walk reuses. A header that cannot start a batch there throws CorruptRecordBatchError.
 */
export const walkBatchHeaders = (
  fd: number,
  file: string,
  position: number,
  end: number,
  stop: (buf: Buffer, at: number) => boolean,
): number => {
  let windowStart = 0
  let windowFilled = 0
  while (position < end) {
    if (position + BATCH_HEADER_BYTES > windowStart + windowFilled) {
      windowStart = position
      windowFilled = readInto(fd, window, Math.min(window.length, end - position), position)
      if (windowFilled < BATCH_HEADER_BYTES) {
        const reason = `truncated: ${windowFilled} bytes left, a batch header needs ${BATCH_HEADER_BYTES}`
        throw new CorruptRecordBatchError({ file, position, reason })
      }
    }
    const at = position - windowStart
    const size = batchSizeAt(window, at)
    if (size < BATCH_HEADER_BYTES || size > end - position) {
      const reason = `bad length: a batch of ${size} bytes cannot start at ${position} of a ${end}-byte log`
      throw new CorruptRecordBatchError({ file, position, reason })
    }
    if (stop(window, at)) return position
    position += size
  }
  return -1
}

/**
 * Checks that `batches` is whole batches back to back whose offsets follow `previousLastOffset`
 * (contiguously, or only increasing) before they are appended to `file`; returns their last
 * offset and max timestamp. The CRCs are
 * not checked: the Log checks what it takes in before assigning offsets.
 */
export const checkAppendedBatches = (
  batches: Buffer,
  previousLastOffset: bigint,
  contiguous: boolean,
  file: string,
): { lastOffset: bigint; maxTimestamp: number } => {
  let lastOffset = previousLastOffset
  let maxTimestamp = -1
  for (let at = 0; at < batches.length; at += batchSizeAt(batches, at)) {
    const size = batches.length - at >= BATCH_HEADER_BYTES ? batchSizeAt(batches, at) : -1
    if (size < BATCH_HEADER_BYTES || at + size > batches.length) {
      throw new CorruptRecordBatchError({ file: '<input>', position: at, reason: `bad length: ${size} bytes at ${at} of ${batches.length}` })
    }
    const baseOffset = baseOffsetAt(batches, at)
    if (contiguous ? baseOffset !== lastOffset + 1n : baseOffset <= lastOffset) {
      const rule = contiguous ? 'contiguous offsets' : 'increasing offsets'
      throw new RangeError(`${file}: batch base offset ${baseOffset} after ${lastOffset} breaks ${rule}`)
    }
    lastOffset = lastOffsetAt(batches, at)
    maxTimestamp = Math.max(maxTimestamp, maxTimestampAt(batches, at))
  }
  return { lastOffset, maxTimestamp }
}

/**
 * What the offsets of a segment's batches must satisfy on the way out, checked per batch header
 * (never per record): not below the segment's base offset (its name), last offsets below the
 * segment's known end, and each batch starting right after the previous one's last offset, or,
 * in a segment compaction may have rewritten, only after it.
 */
export interface SegmentOffsetRules {
  readonly segmentBaseOffset: bigint
  readonly contiguous: boolean
  /** The segment's next offset: every batch's last offset is below it. */
  readonly endOffsetExclusive: bigint
}

/** Why a batch with these offsets cannot come after `previousLastOffset` in the segment, if it cannot. */
export const offsetRuleBroken = (
  baseOffset: bigint,
  lastOffset: bigint,
  previousLastOffset: bigint | undefined,
  rules: SegmentOffsetRules,
): string | undefined => {
  if (baseOffset < rules.segmentBaseOffset) return `base offset ${baseOffset} is below the segment's base offset ${rules.segmentBaseOffset}`
  if (previousLastOffset !== undefined && (rules.contiguous ? baseOffset !== previousLastOffset + 1n : baseOffset <= previousLastOffset)) {
    return `base offset ${baseOffset} does not follow the previous batch's last offset ${previousLastOffset}`
  }
  if (lastOffset >= rules.endOffsetExclusive) return `last offset ${lastOffset} is at or past the segment's end offset ${rules.endOffsetExclusive}`
  return undefined
}

/** Where a read found the batch it starts with. */
export interface FoundBatch {
  readonly position: number
  readonly sizeBytes: number
  /** The last offset of the batch before it; undefined when it is the segment's first. */
  readonly previousLastOffset: bigint | undefined
}

/**
 * Walks the headers of `file` from an offset index entry to the first batch whose last offset is
 * >= `target`, checking every header passed against `rules`; the batch at the entry must carry
 * the entry's offset exactly (an index entry is a batch's base offset and position; the implied
 * entry at position 0 only bounds it in a compacted segment). A batch that breaks a rule throws
 * CorruptRecordBatchError, except that a walk from an entry past position 0 that fails is first
 * retried from position 0: a damaged index must not pass for a damaged log. Undefined when no
 * batch qualifies.
 */
export const findBatchHolding = (
  fd: number,
  file: string,
  entry: { readonly position: number; readonly baseOffset: bigint },
  end: number,
  target: bigint,
  rules: SegmentOffsetRules,
): FoundBatch | undefined => {
  let position = entry.position
  let sizeBytes = 0
  let previousLastOffset: bigint | undefined
  const stop = (buf: Buffer, at: number): boolean => {
    const baseOffset = baseOffsetAt(buf, at)
    const lastOffset = lastOffsetAt(buf, at)
    const atEntry = position === entry.position
    const reason =
      atEntry && (rules.contiguous || entry.position > 0) && baseOffset !== entry.baseOffset
        ? `base offset ${baseOffset} where ${entry.baseOffset} was expected`
        : offsetRuleBroken(baseOffset, lastOffset, previousLastOffset, rules)
    if (reason !== undefined) {
      if (atEntry && entry.position > 0) throw new IndexEntryMismatch()
      throw new CorruptRecordBatchError({ file, position, reason })
    }
    sizeBytes = batchSizeAt(buf, at)
    if (lastOffset >= target) return true
    previousLastOffset = lastOffset
    position += sizeBytes
    return false
  }
  try {
    return walkBatchHeaders(fd, file, entry.position, end, stop) < 0 ? undefined : { position, sizeBytes, previousLastOffset }
  } catch (error) {
    // From an entry, anything wrong may be the index's fault (an entry not at a batch start):
    // the walk from the segment's start decides. Only the error path pays for it.
    const retry = entry.position > 0 && (error instanceof IndexEntryMismatch || error instanceof CorruptRecordBatchError)
    if (!retry) throw error
    return findBatchHolding(fd, file, { position: 0, baseOffset: rules.segmentBaseOffset }, end, target, rules)
  }
}

class IndexEntryMismatch extends Error {}

/**
 * How many leading bytes of `bytes` (read at `position` of `file`, starting with a batch
 * findBatchHolding checked the offsets of) are whole batches with last offsets below
 * `maxOffsetExclusive`, each passing checkBatchAt and `rules`. A bad first batch throws
 * CorruptRecordBatchError; a bad later one ends the read before it, so that the batches before
 * damage stay readable and the read that starts at it is the one that fails. A batch cut off at
 * the end of `bytes` is left for the next read.
 */
export const checkedWholeBatches = (
  bytes: Buffer,
  file: string,
  position: number,
  maxOffsetExclusive: bigint | undefined,
  rules?: SegmentOffsetRules,
): { length: number; lastOffset: bigint } => {
  let at = 0
  let lastOffset = -1n
  while (bytes.length - at >= BATCH_HEADER_BYTES) {
    const size = batchSizeAt(bytes, at)
    if (size >= BATCH_HEADER_BYTES && at + size > bytes.length) break
    const reason =
      checkBatchAt(bytes, at, bytes.length) ??
      (at === 0
        ? undefined
        : rules === undefined
          ? baseOffsetAt(bytes, at) <= lastOffset
            ? `base offset ${baseOffsetAt(bytes, at)} does not follow the previous batch's last offset ${lastOffset}`
            : undefined
          : offsetRuleBroken(baseOffsetAt(bytes, at), lastOffsetAt(bytes, at), lastOffset, rules))
    if (reason !== undefined) {
      if (at > 0) break
      throw new CorruptRecordBatchError({ file, position: position + at, reason })
    }
    if (maxOffsetExclusive !== undefined && lastOffsetAt(bytes, at) >= maxOffsetExclusive) break
    lastOffset = lastOffsetAt(bytes, at)
    at += size
  }
  return { length: at, lastOffset }
}

/** The offset of the first record of `batch` (read at `position` of `file`) stamped at or after `timestamp`. */
export const firstOffsetWithTimestamp = (batch: Buffer, file: string, position: number, timestamp: number): bigint | undefined => {
  const reason = checkBatchAt(batch, 0)
  if (reason !== undefined) throw new CorruptRecordBatchError({ file, position, reason })
  try {
    const cursor = new RecordCursor(batch, 0, file)
    while (cursor.next()) if (cursor.timestamp >= timestamp) return baseOffsetAt(batch, 0) + BigInt(cursor.offsetDelta)
    return undefined
  } catch (error) {
    if (!(error instanceof CorruptRecordBatchError)) throw error
    throw new CorruptRecordBatchError({ file, position: position + error.position, reason: error.reason })
  }
}
