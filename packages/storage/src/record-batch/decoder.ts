/**
 * Reads RecordBatch v2 bytes lazily: readBatchHeader for the 61-byte header (BigInt fields are
 * fine once per batch), RecordCursor to walk the records on the hot path without allocating
 * anything per record beyond its key/value views and headers, decodeRecords for convenience.
 * Decoding does not check the CRC: validate.ts does, where bytes enter the system.
 */
import { gunzipSync } from 'node:zlib'
import { CorruptRecordBatchError } from '../errors.js'
import {
  attributesAt,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  baseOffsetAt,
  baseSequenceAt,
  baseTimestampAt,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  crcAt,
  lastOffsetDeltaAt,
  magicAt,
  maxTimestampAt,
  partitionLeaderEpochAt,
  producerEpochAt,
  producerIdAt,
  recordCountAt,
  RECORDS_AT,
  TIMESTAMP_TYPE_LOG_APPEND_TIME,
  TRANSACTIONAL_FLAG,
} from './batch-header.js'
import type { CompressionCodecName, DecodedRecord, RecordHeader, TimestampType } from './record.js'
import { VarintReader } from './varint.js'

/** Every header field of one batch, plus what its attributes mean. */
export type RecordBatchHeader = {
  readonly baseOffset: bigint
  /** baseOffset + lastOffsetDelta */
  readonly lastOffset: bigint
  readonly batchLength: number
  /** The whole batch: 12 + batchLength. */
  readonly sizeInBytes: number
  readonly partitionLeaderEpoch: number
  readonly magic: number
  readonly crc: number
  readonly attributes: number
  readonly compression: CompressionCodecName
  readonly timestampType: TimestampType
  readonly isTransactional: boolean
  readonly isControl: boolean
  readonly lastOffsetDelta: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly recordCount: number
}

const CODEC_NAMES: readonly CompressionCodecName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd', 'invalid', 'invalid', 'invalid']
const NO_HEADERS: readonly RecordHeader[] = Object.freeze([])
const INPUT = '<input>'
/** attributes, timestampDelta, offsetDelta, key length, value length, header count: one byte each at least. */
const MIN_RECORD_BODY_BYTES = 6

// A function declaration, so that TypeScript treats calls as the end of the path.
function corrupt(file: string, position: number, reason: string): never {
  throw new CorruptRecordBatchError({ file, position, reason })
}

/** The header of the batch at `at`; throws CorruptRecordBatchError when fewer than 61 bytes are there. */
export const readBatchHeader = (buf: Buffer, at = 0, file = INPUT): RecordBatchHeader => {
  if (buf.length - at < BATCH_HEADER_BYTES) {
    corrupt(file, at, `truncated: ${buf.length - at} bytes left, a batch header needs ${BATCH_HEADER_BYTES}`)
  }
  const attributes = attributesAt(buf, at)
  const baseOffset = baseOffsetAt(buf, at)
  const lastOffsetDelta = lastOffsetDeltaAt(buf, at)
  const batchLength = buf.readInt32BE(at + BATCH_LENGTH_AT)
  return {
    baseOffset,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
    batchLength,
    sizeInBytes: BATCH_LOG_OVERHEAD + batchLength,
    partitionLeaderEpoch: partitionLeaderEpochAt(buf, at),
    magic: magicAt(buf, at),
    crc: crcAt(buf, at),
    attributes,
    compression: CODEC_NAMES[attributes & COMPRESSION_MASK],
    timestampType: attributes & TIMESTAMP_TYPE_LOG_APPEND_TIME ? 'log-append' : 'create',
    isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControl: (attributes & CONTROL_FLAG) !== 0,
    lastOffsetDelta,
    baseTimestamp: baseTimestampAt(buf, at),
    maxTimestamp: maxTimestampAt(buf, at),
    producerId: producerIdAt(buf, at),
    producerEpoch: producerEpochAt(buf, at),
    baseSequence: baseSequenceAt(buf, at),
    recordCount: recordCountAt(buf, at),
  }
}

/** Varint reads over the records section whose failures name the batch, the record and the byte. */
class RecordsReader extends VarintReader {
  recordIndex = 0

  constructor(
    buf: Buffer,
    pos: number,
    end: number,
    private readonly file: string,
    private readonly batchPosition: number,
    /** Where byte 0 of the reported positions is, and what they count from. */
    private readonly origin: number,
    private readonly originName: string,
  ) {
    super(buf, pos, end)
  }

  override fail(position: number, reason: string): never {
    return corrupt(this.file, this.batchPosition, `record ${this.recordIndex}: ${reason} (byte ${position - this.origin} of ${this.originName})`)
  }

  failBatch(reason: string): never {
    return corrupt(this.file, this.batchPosition, reason)
  }

  /** Length-prefixed bytes ending no later than `this.end`, as a view; null for length -1. */
  readBytes(what: string): Buffer | null {
    const start = this.pos
    const length = this.readVarint()
    if (length === -1) return null
    if (length < -1 || length > this.end - this.pos) {
      return this.fail(start, `${what} length ${length} does not fit the ${this.end - this.pos} bytes left in the record`)
    }
    const bytes = this.buf.subarray(this.pos, this.pos + length)
    this.pos += length
    return bytes
  }
}

/**
 * Walks the records of the batch at `at`: each next() that returns true fills the fields below
 * with the next record. The fields are overwritten by the following next(); the key, value and
 * headers objects themselves are fresh each time, so keeping them is safe. Throws
 * CorruptRecordBatchError (position = the batch's) for a bad header, a batch running past the
 * buffer, unsupported compression, or any malformed record; gzip batches are gunzipped up front.
 */
export class RecordCursor implements DecodedRecord {
  offsetDelta = 0
  timestampDelta = 0
  timestamp = 0
  key: Buffer | null = null
  value: Buffer | null = null
  headers: readonly RecordHeader[] = NO_HEADERS
  /** Records read so far. */
  index = 0
  readonly recordCount: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  private readonly logAppendTime: boolean
  private readonly reader: RecordsReader
  private readonly recordsEnd: number

  constructor(buf: Buffer, at = 0, file = INPUT) {
    if (buf.length - at < BATCH_HEADER_BYTES) {
      corrupt(file, at, `truncated: ${buf.length - at} bytes left, a batch header needs ${BATCH_HEADER_BYTES}`)
    }
    const magic = magicAt(buf, at)
    if (magic !== BATCH_MAGIC) corrupt(file, at, `bad magic: ${magic} (expected ${BATCH_MAGIC})`)
    const batchLength = buf.readInt32BE(at + BATCH_LENGTH_AT)
    const end = at + BATCH_LOG_OVERHEAD + batchLength
    if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD) corrupt(file, at, `bad length: batchLength ${batchLength} is below the minimum 49`)
    if (end > buf.length) corrupt(file, at, `truncated: batch of ${end - at} bytes but only ${buf.length - at} bytes left`)
    this.recordCount = recordCountAt(buf, at)
    if (this.recordCount < 0) corrupt(file, at, `bad recordCount: ${this.recordCount}`)
    const attributes = attributesAt(buf, at)
    this.logAppendTime = (attributes & TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0
    this.baseTimestamp = baseTimestampAt(buf, at)
    this.maxTimestamp = maxTimestampAt(buf, at)
    const codec = CODEC_NAMES[attributes & COMPRESSION_MASK]
    if (codec === 'none') {
      this.reader = new RecordsReader(buf, at + RECORDS_AT, end, file, at, at, 'the batch')
    } else if (codec === 'gzip') {
      let records: Buffer
      try {
        records = gunzipSync(buf.subarray(at + RECORDS_AT, end))
      } catch (error) {
        corrupt(file, at, `gzip records do not inflate: ${(error as Error).message}`)
      }
      this.reader = new RecordsReader(records, 0, records.length, file, at, 0, 'the gunzipped records')
    } else {
      corrupt(file, at, `unsupported compression ${codec} (attributes ${attributes})`)
    }
    this.recordsEnd = this.reader.end
  }

  next(): boolean {
    const reader = this.reader
    const recordsEnd = this.recordsEnd
    if (this.index === this.recordCount) {
      if (reader.pos !== recordsEnd) {
        reader.failBatch(`${recordsEnd - reader.pos} bytes follow the ${this.recordCount} records recordCount announces`)
      }
      return false
    }
    reader.recordIndex = this.index
    if (reader.pos >= recordsEnd) reader.failBatch(`the records end after ${this.index} of the ${this.recordCount} recordCount announces`)
    reader.end = recordsEnd
    const lengthAt = reader.pos
    const bodyBytes = reader.readVarint()
    if (bodyBytes < MIN_RECORD_BODY_BYTES) {
      reader.fail(lengthAt, `length ${bodyBytes} is below the ${MIN_RECORD_BODY_BYTES} bytes of the smallest record`)
    }
    if (bodyBytes > recordsEnd - reader.pos) {
      reader.fail(lengthAt, `length ${bodyBytes} does not fit the ${recordsEnd - reader.pos} bytes left`)
    }
    // Bound every read of this record by its own end.
    const recordEnd = reader.pos + bodyBytes
    reader.end = recordEnd
    reader.pos++ // record attributes: unused in v2
    this.timestampDelta = reader.readVarlong()
    this.timestamp = this.logAppendTime ? this.maxTimestamp : this.baseTimestamp + this.timestampDelta
    this.offsetDelta = reader.readVarint()
    this.key = reader.readBytes('key')
    this.value = reader.readBytes('value')
    const countAt = reader.pos
    const headerCount = reader.readVarint()
    if (headerCount === 0) {
      this.headers = NO_HEADERS
    } else {
      // Each header takes at least 2 bytes (two lengths).
      if (headerCount < 0 || headerCount * 2 > recordEnd - reader.pos) {
        reader.fail(countAt, `header count ${headerCount} does not fit the ${recordEnd - reader.pos} bytes left in the record`)
      }
      const headers: RecordHeader[] = new Array(headerCount)
      for (let h = 0; h < headerCount; h++) {
        const keyAt = reader.pos
        const keyBytes = reader.readVarint()
        if (keyBytes < 0 || keyBytes > recordEnd - reader.pos) {
          reader.fail(keyAt, `header ${h} key length ${keyBytes} does not fit the ${recordEnd - reader.pos} bytes left in the record`)
        }
        const key = reader.buf.toString('utf8', reader.pos, reader.pos + keyBytes)
        reader.pos += keyBytes
        headers[h] = { key, value: reader.readBytes(`header ${h} value`) }
      }
      this.headers = headers
    }
    if (reader.pos !== recordEnd) {
      reader.fail(lengthAt, `length ${bodyBytes} leaves ${recordEnd - reader.pos} bytes unread after the headers`)
    }
    this.index++
    return true
  }
}

/** All records of the batch at `at` as plain objects; see RecordCursor for what it checks. */
export const decodeRecords = (buf: Buffer, at = 0, file = INPUT): DecodedRecord[] => {
  const cursor = new RecordCursor(buf, at, file)
  const records: DecodedRecord[] = new Array(cursor.recordCount)
  let i = 0
  while (cursor.next()) {
    records[i++] = {
      offsetDelta: cursor.offsetDelta,
      timestampDelta: cursor.timestampDelta,
      timestamp: cursor.timestamp,
      key: cursor.key,
      value: cursor.value,
      headers: cursor.headers,
    }
  }
  return records
}
