/**
 * Record batches that have been checked once (length, magic, CRC, size limit) with what the
 * check learned on the way (how many batches and records, the newest timestamp, the biggest
 * batch). The partition checks a Produce's bytes into one and hands it to the log, which then
 * appends without walking the headers or computing the CRC again. Only checkBatches makes one,
 * so a CheckedBatches always holds bytes that passed.
 */
import { CorruptRecordBatchError, RecordBatchTooLargeError } from '../errors.js'
import { batchSizeAt, maxTimestampAt, recordCountAt } from './batch-header.js'
import { checkBatchAt } from './validate.js'

const issued = new WeakSet<object>()

export interface CheckedBatches {
  /** The checked bytes; the log takes them over (it stamps their base offsets). */
  readonly bytes: Buffer
  readonly batchCount: number
  readonly recordCount: number
  readonly maxTimestamp: number
  readonly largestBatchBytes: number
}

export type BatchesCheck =
  | { readonly ok: true; readonly batches: CheckedBatches }
  | { readonly ok: false; readonly error: CorruptRecordBatchError | RecordBatchTooLargeError; readonly position: number }

/** Checks every batch in `bytes` once; the first bad one fails the whole (nothing is appended). */
export const checkBatches = (bytes: Buffer, maxBatchBytes: number): BatchesCheck => {
  if (bytes.length === 0) return { ok: false, position: 0, error: new CorruptRecordBatchError({ file: '<input>', position: 0, reason: 'no record batch to append' }) }
  let batchCount = 0
  let recordCount = 0
  let maxTimestamp = -1
  let largestBatchBytes = 0
  for (let at = 0; at < bytes.length; ) {
    const reason = checkBatchAt(bytes, at)
    if (reason !== undefined) return { ok: false, position: at, error: new CorruptRecordBatchError({ file: '<input>', position: at, reason }) }
    const size = batchSizeAt(bytes, at)
    if (size > maxBatchBytes) return { ok: false, position: at, error: new RecordBatchTooLargeError({ batchBytes: size, maxBatchBytes }) }
    batchCount++
    recordCount += recordCountAt(bytes, at)
    maxTimestamp = Math.max(maxTimestamp, maxTimestampAt(bytes, at))
    largestBatchBytes = Math.max(largestBatchBytes, size)
    at += size
  }
  const batches: CheckedBatches = { bytes, batchCount, recordCount, maxTimestamp, largestBatchBytes }
  issued.add(batches)
  return { ok: true, batches }
}

/** Whether `value` came from checkBatches (a look-alike object never passes for one). */
export const isCheckedBatches = (value: unknown): value is CheckedBatches => typeof value === 'object' && value !== null && issued.has(value)
