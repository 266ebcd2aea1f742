/**
 * Encodes records into one Kafka RecordBatch v2. Uncompressed: one pass measures the exact size,
 * one Buffer.allocUnsafe, one pass writes, then the CRC. gzip: the records section is built the
 * same way, gzipped, and placed after the header.
 */
import { gzipSync } from 'node:zlib'
import {
  ATTRIBUTES_AT,
  BASE_SEQUENCE_AT,
  BASE_TIMESTAMP_AT,
  BATCH_LENGTH_AT,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  CRC_AT,
  LAST_OFFSET_DELTA_AT,
  MAGIC_AT,
  MAX_TIMESTAMP_AT,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  RECORDS_AT,
  TIMESTAMP_TYPE_LOG_APPEND_TIME,
  TRANSACTIONAL_FLAG,
  writeBaseOffsetAt,
  writePartitionLeaderEpochAt,
} from './batch-header.js'
import { InvalidRecordBatchInputError } from '../errors.js'
import { crc32cOfRange } from './crc32c.js'
import type { Compression, RecordInput, TimestampType } from './record.js'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js'


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

const GZIP_CODEC = 1
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT32_MAX = 2 ** 31 - 1
const MAX_BATCH_BYTES = 2 ** 31 - 1

// Body sizes from the measuring pass, reused by the writing pass; grown, never shrunk.
let bodySizes = new Int32Array(1024)

const sizeOfBytes = (bytes: Buffer | null): number =>
  bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length

const writeBytes = (buf: Buffer, pos: number, bytes: Buffer | null): number => {
  if (bytes === null) {
    buf[pos] = 1 // zigzag(-1): null
    return pos + 1
  }
  pos = writeVarint(buf, pos, bytes.length)
  buf.set(bytes, pos)
  return pos + bytes.length
}

/**
 * Header keys are mostly short ASCII: copying their chars directly skips a second UTF-8 length
 * scan and Buffer#write's native call; anything else goes through Buffer#write.
 */
const writeHeaderKey = (buf: Buffer, pos: number, key: string): number => {
  const length = key.length
  if (length < 64) {
    let at = pos + 1 // a length below 64 takes one varint byte
    let i = 0
    for (; i < length; i++) {
      const code = key.charCodeAt(i)
      if (code > 0x7f) break
      buf[at++] = code
    }
    if (i === length) {
      buf[pos] = length << 1 // zigzag of a non-negative varint
      return at
    }
  }
  pos = writeVarint(buf, pos, Buffer.byteLength(key, 'utf8'))
  return pos + buf.write(key, pos, 'utf8')
}

const writeInt64Number = (buf: Buffer, at: number, value: number): void => {
  const high = Math.floor(value / 2 ** 32)
  buf.writeInt32BE(high, at)
  buf.writeUInt32BE(value - high * 2 ** 32, at + 4)
}

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
    let body = 1 + sizeOfVarlong((record.timestamp ?? now) - baseTimestamp) + sizeOfVarint(record.offsetDelta ?? i)
    body += sizeOfBytes(record.key) + sizeOfBytes(record.value)
    const headers = record.headers
    if (headers === undefined) {
      body += 1
    } else {
      body += sizeOfVarint(headers.length)
      for (let h = 0; h < headers.length; h++) {
        const keyBytes = Buffer.byteLength(headers[h].key, 'utf8')
        body += sizeOfVarint(keyBytes) + keyBytes + sizeOfBytes(headers[h].value)
      }
    }
    if (body > MAX_BATCH_BYTES) fail(`record ${i} is ${body} bytes, more than an int32 length can say`)
    bodySizes[i] = body
    total += sizeOfVarint(body) + body
  }
  return total
}

const writeRecords = (buf: Buffer, pos: number, records: readonly RecordInput[], baseTimestamp: number, now: number): number => {
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    pos = writeVarint(buf, pos, bodySizes[i])
    buf[pos++] = 0 // record attributes: unused in v2
    pos = writeVarlong(buf, pos, (record.timestamp ?? now) - baseTimestamp)
    pos = writeVarint(buf, pos, record.offsetDelta ?? i)
    pos = writeBytes(buf, pos, record.key)
    pos = writeBytes(buf, pos, record.value)
    const headers = record.headers
    if (headers === undefined) {
      buf[pos++] = 0
    } else {
      pos = writeVarint(buf, pos, headers.length)
      for (let h = 0; h < headers.length; h++) {
        pos = writeHeaderKey(buf, pos, headers[h].key)
        pos = writeBytes(buf, pos, headers[h].value)
      }
    }
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
    const compressed = gzipSync(plain)
    buf = Buffer.allocUnsafe(RECORDS_AT + compressed.length)
    buf.set(compressed, RECORDS_AT)
  } else {
    if (RECORDS_AT + recordsBytes > MAX_BATCH_BYTES) fail(`${count} records need ${recordsBytes} bytes, more than a batch can hold`)
    buf = Buffer.allocUnsafe(RECORDS_AT + recordsBytes)
    writeRecords(buf, RECORDS_AT, records, baseTimestamp, now)
  }

  let attributes = options.compression === 'gzip' ? GZIP_CODEC : 0
  if (options.timestampType === 'log-append') attributes |= TIMESTAMP_TYPE_LOG_APPEND_TIME
  if (options.transactional === true) attributes |= TRANSACTIONAL_FLAG

  writeBaseOffsetAt(buf, 0, baseOffset)
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD, BATCH_LENGTH_AT)
  writePartitionLeaderEpochAt(buf, 0, partitionLeaderEpoch)
  buf[MAGIC_AT] = BATCH_MAGIC
  buf.writeInt16BE(attributes, ATTRIBUTES_AT)
  buf.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_AT)
  writeInt64Number(buf, BASE_TIMESTAMP_AT, baseTimestamp)
  writeInt64Number(buf, MAX_TIMESTAMP_AT, maxTimestamp)
  buf.writeBigInt64BE(producerId, PRODUCER_ID_AT)
  buf.writeInt16BE(producerEpoch, PRODUCER_EPOCH_AT)
  buf.writeInt32BE(baseSequence, BASE_SEQUENCE_AT)
  buf.writeInt32BE(count, RECORD_COUNT_AT)
  buf.writeUInt32BE(crc32cOfRange(buf, ATTRIBUTES_AT, buf.length), CRC_AT)
  return buf
}
