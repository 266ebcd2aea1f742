/**
 * Walking a segment's `.log` batch by batch to find where its valid bytes end: after a crash
 * (recoverSegment cuts a torn or corrupt tail and rebuilds both indexes), and at open to catch a
 * closed segment's indexes up with its log.
 *
 * The file is read in large chunks; a batch straddling two chunks is moved to the front of the
 * buffer and completed, and a batch bigger than the buffer grows it. Each batch must pass
 * checkBatchAt (length, magic, CRC) and carry offsets that follow the previous batch's. The
 * baseOffset field is outside the CRC, so the offset check is what notices a torn or flipped one.
 */
import { fstatSync, ftruncateSync, readSync } from 'node:fs'
import {
  BATCH_HEADER_BYTES,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
} from './record-batch/batch-header.js'
import { checkBatchAt } from './record-batch/validate.js'
import type { SegmentIndexer } from './segment/segment-indexer.js'

export const DEFAULT_SCAN_CHUNK_BYTES = 4 * 1024 * 1024
const MAX_RELATIVE_OFFSET = 0x7fffffffn

export interface ScannedBatch {
  readonly position: number
  readonly baseOffset: bigint
  readonly lastOffset: bigint
  readonly maxTimestamp: number
  readonly sizeBytes: number
}

export interface ScanOptions {
  readonly segmentBaseOffset: bigint
  /** 0 when not given. */
  readonly fromPosition?: number
  /** The file's size when not given. */
  readonly endPosition?: number
  /** The base offset the first batch scanned must carry exactly (the segment's, or an index entry's). */
  readonly firstBaseOffset?: bigint
  /**
   * true: each batch starts right after the previous one's last offset (an active segment).
   * false: offsets only increase (compaction leaves gaps).
   */
  readonly contiguous: boolean
  /**
   * No batch's last offset may reach this: the next segment's base offset (its name says every
   * offset of this segment is below it). Undefined for the active segment.
   */
  readonly endOffsetExclusive?: bigint
  readonly chunkBytes?: number
  readonly onBatch?: (batch: ScannedBatch) => void
}

export interface InvalidBatch {
  readonly position: number
  readonly reason: string
}

export interface ScanResult {
  /** Where the last valid batch ends: the scan's start when none was valid. */
  readonly validEndPosition: number
  readonly batchCount: number
  /** The last valid batch's last offset; undefined when no batch was valid. */
  readonly lastOffset: bigint | undefined
  /** The first batch that is not valid, and why; undefined when the scan reached its end. */
  readonly invalid: InvalidBatch | undefined
}

/** Scans batches in [fromPosition, endPosition) of the open file `fd`; stops at the first invalid one. */
export const scanBatches = (fd: number, options: ScanOptions): ScanResult => {
  const from = options.fromPosition ?? 0
  const end = options.endPosition ?? fstatSync(fd).size
  const chunkBytes = options.chunkBytes ?? DEFAULT_SCAN_CHUNK_BYTES
  let buf = Buffer.allocUnsafe(Math.max(BATCH_HEADER_BYTES, Math.min(chunkBytes, end - from)))
  let bufStart = from // file position of buf[0]
  let bufFilled = 0

  /** Makes buf hold [position, position + need) (need never passes `end`); returns its index in buf. */
  const fill = (position: number, need: number): number => {
    const at = position - bufStart
    if (at + need <= bufFilled) return at
    const leftover = bufFilled - at
    if (need > buf.length) {
      const grown = Buffer.allocUnsafe(need)
      buf.copy(grown, 0, at, bufFilled)
      buf = grown
    } else {
      buf.copyWithin(0, at, bufFilled)
    }
    bufStart = position
    bufFilled = leftover
    const wanted = Math.min(buf.length, end - bufStart)
    while (bufFilled < wanted) {
      const read = readSync(fd, buf, bufFilled, wanted - bufFilled, bufStart + bufFilled)
      if (read === 0) break // the file shrank under us: what is missing reads as truncated
      bufFilled += read
    }
    return 0
  }

  let position = from
  let batchCount = 0
  let previousLastOffset: bigint | undefined
  let invalid: InvalidBatch | undefined
  while (position < end) {
    const remaining = end - position
    let at = fill(position, Math.min(BATCH_HEADER_BYTES, remaining))
    const size = remaining >= BATCH_HEADER_BYTES ? batchSizeAt(buf, at) : -1
    const whole = size >= BATCH_HEADER_BYTES && size <= remaining
    if (whole) at = fill(position, size)
    const reason =
      checkBatchAt(buf, at, Math.min(bufFilled, at + remaining)) ??
      (whole ? offsetProblem(buf, at, options, previousLastOffset) : `batch at ${position} runs past the scan's end ${end}`)
    if (reason !== undefined) {
      invalid = { position, reason }
      break
    }
    const baseOffset = baseOffsetAt(buf, at)
    const lastOffset = baseOffset + BigInt(lastOffsetDeltaAt(buf, at))
    options.onBatch?.({ position, baseOffset, lastOffset, maxTimestamp: maxTimestampAt(buf, at), sizeBytes: size })
    previousLastOffset = lastOffset
    batchCount++
    position += size
  }
  return { validEndPosition: position, batchCount, lastOffset: previousLastOffset, invalid }
}

/** Why the offsets of the (otherwise valid) batch at `at` cannot follow what came before, if they cannot. */
const offsetProblem = (
  buf: Buffer,
  at: number,
  options: ScanOptions,
  previousLastOffset: bigint | undefined,
): string | undefined => {
  const baseOffset = baseOffsetAt(buf, at)
  const lastOffsetDelta = lastOffsetDeltaAt(buf, at)
  if (previousLastOffset === undefined) {
    if (options.firstBaseOffset !== undefined && baseOffset !== options.firstBaseOffset) {
      return `base offset ${baseOffset} where ${options.firstBaseOffset} was expected`
    }
    if (baseOffset < options.segmentBaseOffset) {
      return `base offset ${baseOffset} is below the segment's base offset ${options.segmentBaseOffset}`
    }
  } else if (options.contiguous ? baseOffset !== previousLastOffset + 1n : baseOffset <= previousLastOffset) {
    return `base offset ${baseOffset} does not follow the previous batch's last offset ${previousLastOffset}`
  }
  const lastOffset = baseOffset + BigInt(lastOffsetDelta)
  if (options.endOffsetExclusive !== undefined && lastOffset >= options.endOffsetExclusive) {
    return `last offset ${lastOffset} is at or past ${options.endOffsetExclusive}, the next segment's base offset`
  }
  if (lastOffset - options.segmentBaseOffset > MAX_RELATIVE_OFFSET) {
    return `last offset ${baseOffset + BigInt(lastOffsetDelta)} is more than 2^31-1 past the segment's base offset ${options.segmentBaseOffset}`
  }
  return undefined
}

export interface SegmentRecoveryResult extends ScanResult {
  /** Bytes cut from the end of the file (0 when every byte was a valid batch). */
  readonly truncatedBytes: number
  /**
   * Set instead of cutting when the first invalid batch holds offsets below the recovery point:
   * those were on disk before the crash, so this is damage, not a torn tail.
   */
  readonly damagedBelowRecoveryPoint: boolean
}

/**
 * Recovers an active segment after an unclean stop: scans the whole `.log` from 0, cuts it at the
 * first invalid batch, and rebuilds both indexes (emptied here) from the valid batches. When the
 * valid batches end below `recoveryPoint` (the offset up to which the log was known flushed), the
 * invalid batch is not a torn tail: nothing is cut, and the result says so.
 */
export const recoverSegment = (
  fd: number,
  options: {
    readonly segmentBaseOffset: bigint
    readonly contiguous: boolean
    readonly indexer: SegmentIndexer
    readonly recoveryPoint?: bigint
    readonly chunkBytes?: number
  },
): SegmentRecoveryResult => {
  const { indexer, segmentBaseOffset } = options
  const fileSize = fstatSync(fd).size
  indexer.offsetIndex.reset()
  indexer.timeIndex.reset()
  indexer.resumeFromIndexes()
  const result = scanBatches(fd, {
    segmentBaseOffset,
    endPosition: fileSize,
    firstBaseOffset: options.contiguous ? segmentBaseOffset : undefined,
    contiguous: options.contiguous,
    chunkBytes: options.chunkBytes,
    onBatch: (batch) => {
      indexer.onBatch(batch.position, Number(batch.baseOffset - segmentBaseOffset), batch.maxTimestamp, batch.sizeBytes)
      indexer.writeEntriesIfManyAndRoom()
    },
  })
  const validEndOffset = result.lastOffset === undefined ? segmentBaseOffset : result.lastOffset + 1n
  const damagedBelowRecoveryPoint =
    result.invalid !== undefined && options.recoveryPoint !== undefined && validEndOffset < options.recoveryPoint
  const truncatedBytes = damagedBelowRecoveryPoint ? 0 : fileSize - result.validEndPosition
  if (truncatedBytes > 0) ftruncateSync(fd, result.validEndPosition)
  indexer.writeEntriesIfRoom()
  return { ...result, truncatedBytes, damagedBelowRecoveryPoint }
}
