/** Record batches for the segment and recovery tests. */
import { encodeRecordBatch } from '../../record-batch/encoder.js'
import { lastOffsetAt, maxTimestampAt } from '../../record-batch/batch-header.js'

export interface TestBatch {
  readonly bytes: Buffer
  readonly baseOffset: bigint
  readonly lastOffset: bigint
  readonly maxTimestamp: number
  /** Record timestamps in offset order. */
  readonly timestamps: readonly number[]
}

/** One batch at `baseOffset` holding one record per timestamp, each value `valueBytes` long. */
export const makeBatch = (baseOffset: bigint, timestamps: readonly number[], valueBytes = 10): TestBatch => {
  const bytes = encodeRecordBatch(
    timestamps.map((timestamp, i) => ({ key: null, value: Buffer.alloc(valueBytes, i & 0xff), timestamp })),
    { baseOffset },
  )
  return { bytes, baseOffset, lastOffset: lastOffsetAt(bytes, 0), maxTimestamp: maxTimestampAt(bytes, 0), timestamps }
}

/** Consecutive batches from `baseOffset`, batch i holding `recordCounts[i]` records stamped from `firstTimestamp` up. */
export const makeBatches = (
  baseOffset: bigint,
  recordCounts: readonly number[],
  firstTimestamp = 1_700_000_000_000,
  valueBytes = 10,
): TestBatch[] => {
  const batches: TestBatch[] = []
  let next = baseOffset
  let timestamp = firstTimestamp
  for (const count of recordCounts) {
    const batch = makeBatch(next, Array.from({ length: count }, () => timestamp++), valueBytes)
    batches.push(batch)
    next = batch.lastOffset + 1n
  }
  return batches
}
