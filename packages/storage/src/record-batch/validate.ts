/**
 * Checks that bytes hold complete, intact RecordBatch v2 batches: length, magic, CRC-32C and the
 * counts. checkBatchAt is the recovery scanner's hot path: it returns a reason instead of throwing
 * and allocates nothing on success beyond the view the native CRC call needs.
 */
import { CorruptRecordBatchError } from '../errors.js'
import {
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  crcAt,
  lastOffsetDeltaAt,
  MAGIC_AT,
  maxTimestampAt,
  recordCountAt,
} from './batch-header.js'
import { crc32cOfRange } from './crc32c.js'

/** The smallest batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD

/** Reasons from checkBatchAt that mean "the bytes stop early" (a torn tail) start with this. */
export const TRUNCATED_REASON_PREFIX = 'truncated'

const hex = (crc: number): string => `0x${crc.toString(16).padStart(8, '0')}`

/**
 * Why the batch at `at` is not one valid, complete batch inside `buf[0, end)`, or undefined when
 * it is. Reasons start with `truncated` (fewer bytes than the batch needs), `bad length`,
 * `bad magic`, `CRC mismatch` (stored and computed values in hex), `bad recordCount` or
 * `bad lastOffsetDelta`.
 */
export const checkBatchAt = (buf: Buffer, at: number, end = buf.length): string | undefined => {
  const left = end - at
  if (left < BATCH_LOG_OVERHEAD) {
    return `${TRUNCATED_REASON_PREFIX}: ${left} bytes left, fewer than the ${BATCH_LOG_OVERHEAD} of a batch's offset and length`
  }
  const batchLength = buf.readInt32BE(at + BATCH_LENGTH_AT)
  if (batchLength < MIN_BATCH_LENGTH) return `bad length: batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`
  const size = BATCH_LOG_OVERHEAD + batchLength
  if (size > left) return `${TRUNCATED_REASON_PREFIX}: batch of ${size} bytes but only ${left} bytes left`
  const magic = buf[at + MAGIC_AT]
  if (magic !== BATCH_MAGIC) return `bad magic: ${magic} (expected ${BATCH_MAGIC})`
  const stored = crcAt(buf, at)
  const computed = crc32cOfRange(buf, at + ATTRIBUTES_AT, at + size)
  if (stored !== computed) return `CRC mismatch: stored ${hex(stored)}, computed ${hex(computed)}`
  // Checked after the CRC, so that a flipped bit reads as what it is.
  const recordCount = recordCountAt(buf, at)
  if (recordCount < 0) return `bad recordCount: ${recordCount}`
  const lastOffsetDelta = lastOffsetDeltaAt(buf, at)
  if (lastOffsetDelta < 0) return `bad lastOffsetDelta: ${lastOffsetDelta}`
  // Offsets in a batch are distinct, so there cannot be more records than offsets (compaction may leave fewer).
  if (recordCount > lastOffsetDelta + 1) {
    return `bad recordCount: ${recordCount} records but lastOffsetDelta ${lastOffsetDelta} spans only ${lastOffsetDelta + 1} offsets`
  }
  return undefined
}

/** What validateBatchesIn found in a run of valid batches. */
export type ValidatedBatches = {
  readonly batchCount: number
  readonly recordCount: number
  /** Offsets the batches span: the sum of lastOffsetDelta + 1. */
  readonly offsetCount: number
  /** Largest maxTimestamp, or -1 when there are no batches. */
  readonly maxTimestamp: number
  /** Bytes walked: the whole buffer. */
  readonly byteLength: number
}

/**
 * Checks every batch of `buf`, which must hold consecutive batches and nothing else, and throws
 * CorruptRecordBatchError naming `fileLabel` and `basePosition + at` at the first bad one.
 */
export const validateBatchesIn = (buf: Buffer, fileLabel: string, basePosition = 0): ValidatedBatches => {
  let batchCount = 0
  let recordCount = 0
  let offsetCount = 0
  let maxTimestamp = -1
  let at = 0
  while (at < buf.length) {
    const reason = checkBatchAt(buf, at)
    if (reason !== undefined) throw new CorruptRecordBatchError({ file: fileLabel, position: basePosition + at, reason })
    batchCount++
    recordCount += recordCountAt(buf, at)
    offsetCount += lastOffsetDeltaAt(buf, at) + 1
    const batchMaxTimestamp = maxTimestampAt(buf, at)
    if (batchMaxTimestamp > maxTimestamp) maxTimestamp = batchMaxTimestamp
    at += BATCH_LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_AT)
  }
  return { batchCount, recordCount, offsetCount, maxTimestamp, byteLength: at }
}
