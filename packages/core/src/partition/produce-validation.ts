/**
 * What a partition checks in a Produce's bytes before the producer-state table or the log sees
 * them. A bad batch fails only its own request, as data (kfake style); nothing is written.
 */
import {
  attributesAt,
  baseSequenceAt,
  batchSizeAt,
  type CheckedBatches,
  checkBatches,
  CONTROL_FLAG,
  CorruptRecordBatchError,
  producerEpochAt,
  producerIdAt,
  RecordBatchTooLargeError,
  TRANSACTIONAL_FLAG,
} from '@rivulet/storage'
import { Data } from 'effect'

/** A well-formed batch the partition does not take (control or transactional, mixed idempotent). */
export class UnsupportedRecordBatchError extends Data.TaggedError('UnsupportedRecordBatchError')<{
  readonly topic: string
  readonly partition: number
  readonly reason: string
}> {
  override get message(): string {
    return `record batch refused by ${this.topic}-${this.partition}: ${this.reason}`
  }
}

export type ProduceCheck =
  | { readonly ok: true; readonly idempotent: boolean; readonly batches: CheckedBatches }
  | { readonly ok: false; readonly error: CorruptRecordBatchError | RecordBatchTooLargeError | UnsupportedRecordBatchError }

/**
 * Checks every batch in `bytes` once (storage's checkBatches: length, magic, CRC, size limit),
 * then the flags a producer may not set. An idempotent batch (producer id >= 0) must come alone:
 * its reply names one base offset and one duplicate flag. The checked batches go to the log as
 * they are, so nothing is checked twice.
 */
export const checkProduceBytes = (
  bytes: Buffer,
  maxBatchBytes: number,
  where: { readonly topic: string; readonly partition: number },
): ProduceCheck => {
  const unsupported = (reason: string): ProduceCheck => ({
    ok: false,
    error: new UnsupportedRecordBatchError({ ...where, reason }),
  })
  const check = checkBatches(bytes, maxBatchBytes)
  if (!check.ok) return { ok: false, error: check.error }
  let idempotent = false
  for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
    const attributes = attributesAt(bytes, at)
    if ((attributes & CONTROL_FLAG) !== 0) return unsupported('control batches are written by the broker, not by producers')
    if ((attributes & TRANSACTIONAL_FLAG) !== 0) return unsupported('transactional batches are not supported')
    if (producerIdAt(bytes, at) >= 0n) {
      idempotent = true
      if (producerEpochAt(bytes, at) < 0 || baseSequenceAt(bytes, at) < 0) {
        return unsupported('an idempotent batch needs a producer epoch and a base sequence of 0 or more')
      }
    }
  }
  const { batchCount } = check.batches
  if (idempotent && batchCount > 1) {
    return unsupported(`an idempotent produce carries exactly one batch, this one has ${batchCount}`)
  }
  return { ok: true, idempotent, batches: check.batches }
}
