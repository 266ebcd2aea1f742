/**
 * Encodes an array of records into one Kafka RecordBatch v2 (the log, compaction, tests; the
 * producer builds its batches incrementally with BatchBuilder, over the same record and header
 * writers). Uncompressed: one pass measures the exact size, one Buffer.allocUnsafe, one pass
 * writes, then the CRC. gzip: the records section is built the same way, gzipped, and placed
 * after the header.
 */
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORDS_AT } from './batch-header.js'
import { batchAttributes, gzipRecordsSection, writeBatchHeader } from './batch-header-writer.js'
import { InvalidRecordBatchInputError } from '../errors.js'
import type { Compression, RecordInput, TimestampType } from './record.js'
import { sizeOfRecordBody, writeRecord } from './record-writer.js'
import { sizeOfVarint } from './varint.js'

export type EncodeRecordBatchOptions = {
  /** 0n: the log assigns real offsets on append by rewriting this field. */
  readonly baseOffset?: bigint
  /** -1, as Kafka producers send it; the leader stamps its epoch on append. */
  readonly partitionLeaderEpoch?: number
  /** -1n (not idempotent) */
  readonly producerId?: bigint
  /** -1 */
  readonly producerEpoch?: number
  /** -1 */
  readonly baseSequence?: number
  /** 'none' */
  readonly compression?: Compression
  readonly transactional?: boolean
  /** 'create' */
  readonly timestampType?: TimestampType
  /** Timestamp for records that have none; Date.now() when not given. */
  readonly now?: number
  /**
   * The batch's last offset relative to its base; by default the last record's offsetDelta. More
   * keeps a compacted batch's original last offset after its last records were removed.
   */
  readonly lastOffsetDelta?: number
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT32_MAX = 2 ** 31 - 1
const MAX_BATCH_BYTES = 2 ** 31 - 1

// Body sizes from the measuring pass, reused by the writing pass; grown, never shrunk.
let bodySizes = new Int32Array(1024)

function fail(reason: string): never {
  throw new InvalidRecordBatchInputError({ reason })
}

function failOffsetDelta(records: readonly RecordInput[], i: number, previous: number): never {
  const given = records[i].offsetDelta
  const delta = given === undefined ? `${i} (its index: none given)` : String(given)
  const after = i === 0 ? '' : `, above record ${i - 1}'s ${previous}`
  fail(`record ${i} has offsetDelta ${delta}: offset deltas must be int32s, at least 0${after}, strictly increasing`)
}

const checkInt = (name: string, value: number, bits: 16 | 32): void => {
  const limit = 2 ** (bits - 1)
  if (!Number.isInteger(value) || value < -limit || value >= limit) fail(`${name} ${value} is not an int${bits}`)
}

const checkInt64 = (name: string, value: bigint): void => {
  if (value < INT64_MIN || value > INT64_MAX) fail(`${name} ${value} is not an int64`)
}

/** Size of the records section; fills bodySizes. Timestamps were checked by the caller. */
const measureRecords = (records: readonly RecordInput[], baseTimestamp: number, now: number): number => {
  if (bodySizes.length < records.length) bodySizes = new Int32Array(Math.max(records.length, bodySizes.length * 2))
  let total = 0
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    const timestampDelta = (record.timestamp ?? now) - baseTimestamp
    const body = sizeOfRecordBody(record.offsetDelta ?? i, timestampDelta, record.key, record.value, record.headers)
    if (body > MAX_BATCH_BYTES) fail(`record ${i} is ${body} bytes, more than an int32 length can say`)
    bodySizes[i] = body
    total += sizeOfVarint(body) + body
  }
  return total
}

const writeRecords = (buf: Buffer, pos: number, records: readonly RecordInput[], baseTimestamp: number, now: number): number => {
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    const timestampDelta = (record.timestamp ?? now) - baseTimestamp
    pos = writeRecord(buf, pos, bodySizes[i], record.offsetDelta ?? i, timestampDelta, record.key, record.value, record.headers)
  }
  return pos
}

/**
 * Encodes `records` (at least one) as one RecordBatch v2. Record i gets offsetDelta i unless it
 * says otherwise; baseTimestamp is the first record's timestamp, maxTimestamp the largest.
 */
export const encodeRecordBatch = (records: readonly RecordInput[], options: EncodeRecordBatchOptions = {}): Buffer => {
  const count = records.length
  if (count === 0) fail('a batch needs at least one record, got none')
  const now = options.now ?? Date.now()
  const baseOffset = options.baseOffset ?? 0n
  const partitionLeaderEpoch = options.partitionLeaderEpoch ?? -1
  const producerId = options.producerId ?? NO_PRODUCER_ID
  const producerEpoch = options.producerEpoch ?? NO_PRODUCER_EPOCH
  const baseSequence = options.baseSequence ?? NO_SEQUENCE
  checkInt64('baseOffset', baseOffset)
  checkInt64('producerId', producerId)
  checkInt('partitionLeaderEpoch', partitionLeaderEpoch, 32)
  checkInt('producerEpoch', producerEpoch, 16)
  checkInt('baseSequence', baseSequence, 32)

  const baseTimestamp = records[0].timestamp ?? now
  let maxTimestamp = baseTimestamp
  let previousOffsetDelta = -1
  for (let i = 0; i < count; i++) {
    const record = records[i]
    const timestamp = record.timestamp ?? now
    if (!Number.isSafeInteger(timestamp) || !Number.isSafeInteger(timestamp - baseTimestamp)) {
      fail(`record ${i} has timestamp ${timestamp}: not a safe integer, or too far from the first record's ${baseTimestamp}`)
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    const offsetDelta = record.offsetDelta ?? i
    // Written this way round so that NaN fails too.
    if (!(offsetDelta > previousOffsetDelta && offsetDelta <= INT32_MAX && Number.isInteger(offsetDelta))) {
      failOffsetDelta(records, i, previousOffsetDelta)
    }
    previousOffsetDelta = offsetDelta
  }
  const lastOffsetDelta = options.lastOffsetDelta ?? previousOffsetDelta
  if (!(lastOffsetDelta >= previousOffsetDelta && lastOffsetDelta <= INT32_MAX && Number.isInteger(lastOffsetDelta))) {
    fail(`lastOffsetDelta ${lastOffsetDelta} is not an int32 at or above the last record's offsetDelta ${previousOffsetDelta}`)
  }

  const recordsBytes = measureRecords(records, baseTimestamp, now)
  let buf: Buffer
  if (options.compression === 'gzip') {
    const plain = Buffer.allocUnsafe(recordsBytes)
    writeRecords(plain, 0, records, baseTimestamp, now)
    buf = gzipRecordsSection(plain)
  } else {
    if (RECORDS_AT + recordsBytes > MAX_BATCH_BYTES) fail(`${count} records need ${recordsBytes} bytes, more than a batch can hold`)
    buf = Buffer.allocUnsafe(RECORDS_AT + recordsBytes)
    writeRecords(buf, RECORDS_AT, records, baseTimestamp, now)
  }
  writeBatchHeader(buf, {
    baseOffset,
    partitionLeaderEpoch,
    attributes: batchAttributes(options.compression, options.timestampType, options.transactional),
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount: count,
  })
  return buf
}
