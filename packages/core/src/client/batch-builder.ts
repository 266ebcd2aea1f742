/**
 * A RecordBatch v2 written record by record as the producer appends, so a batch is encoded once
 * and holds its records as bytes rather than as objects: the keys and values a send hands over
 * die young, which keeps the garbage collector out of the way at a million records a second.
 * The bytes are what storage's encodeRecordBatch writes for the same records (a test checks it);
 * `build` fills in the header (producer id, epoch, base sequence) and the CRC when it is sent.
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
  crc32cOfRange,
  LAST_OFFSET_DELTA_AT,
  MAGIC_AT,
  MAX_TIMESTAMP_AT,
  type Compression,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  type RecordHeader,
  RECORDS_AT,
  sizeOfVarint,
  sizeOfVarlong,
  writeBaseOffsetAt,
  writePartitionLeaderEpochAt,
  writeVarint,
  writeVarlong,
} from '@rivulet/storage'

export interface BatchIdentity {
  /** -1n, -1, -1 when not idempotent. */
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
}

const GZIP_CODEC = 1
const INITIAL_CAPACITY = 4096

const sizeOfBytes = (bytes: Buffer | null): number => (bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length)

const writeBytes = (buf: Buffer, pos: number, bytes: Buffer | null): number => {
  if (bytes === null) {
    buf[pos] = 1 // zigzag(-1): null
    return pos + 1
  }
  pos = writeVarint(buf, pos, bytes.length)
  const length = bytes.length
  // A native copy costs more than a short loop for the few bytes of a typical key.
  if (length < 16) for (let i = 0; i < length; i++) buf[pos + i] = bytes[i]
  else buf.set(bytes, pos)
  return pos + length
}

const headersBodySize = (headers: readonly RecordHeader[]): number => {
  let size = sizeOfVarint(headers.length)
  for (const header of headers) {
    const keyBytes = Buffer.byteLength(header.key, 'utf8')
    size += sizeOfVarint(keyBytes) + keyBytes + sizeOfBytes(header.value)
  }
  return size
}

const writeInt64Number = (buf: Buffer, at: number, value: number): void => {
  const high = Math.floor(value / 2 ** 32)
  buf.writeInt32BE(high, at)
  buf.writeUInt32BE(value - high * 2 ** 32, at + 4)
}

export class BatchBuilder {
  private buf: Buffer
  /** Bytes written so far, header included. */
  sizeBytes = RECORDS_AT
  count = 0
  private baseTimestamp = 0
  private maxTimestamp = 0

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(initialCapacity, RECORDS_AT + 64))
  }

  /** Bytes appending this record would add. Timestamps are non-negative safe integers. */
  recordBytes(key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[] | undefined, timestamp: number): number {
    const body = this.bodyBytes(key, value, headers, timestamp)
    return sizeOfVarint(body) + body
  }

  append(key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[] | undefined, timestamp: number): void {
    if (this.count === 0) this.baseTimestamp = this.maxTimestamp = timestamp
    else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
    const body = this.bodyBytes(key, value, headers, timestamp)
    const end = this.sizeBytes + sizeOfVarint(body) + body
    if (end > this.buf.length) this.grow(end)
    const buf = this.buf
    let pos = writeVarint(buf, this.sizeBytes, body)
    buf[pos++] = 0 // record attributes: unused in v2
    pos = writeVarlong(buf, pos, timestamp - this.baseTimestamp)
    pos = writeVarint(buf, pos, this.count)
    pos = writeBytes(buf, pos, key)
    pos = writeBytes(buf, pos, value)
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0
    } else {
      pos = writeVarint(buf, pos, headers.length)
      for (const header of headers) {
        pos = writeVarint(buf, pos, Buffer.byteLength(header.key, 'utf8'))
        pos += buf.write(header.key, pos, 'utf8')
        pos = writeBytes(buf, pos, header.value)
      }
    }
    this.sizeBytes = pos
    this.count++
  }

  /** The finished batch: header and CRC written. Call once there is at least one record. */
  build(identity: BatchIdentity, compression: Compression): Buffer {
    let out: Buffer
    let attributes = 0
    if (compression === 'gzip') {
      const compressed = gzipSync(this.buf.subarray(RECORDS_AT, this.sizeBytes))
      out = Buffer.allocUnsafe(RECORDS_AT + compressed.length)
      out.set(compressed, RECORDS_AT)
      attributes = GZIP_CODEC
    } else {
      out = this.buf.subarray(0, this.sizeBytes)
    }
    writeBaseOffsetAt(out, 0, 0n)
    out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, BATCH_LENGTH_AT)
    writePartitionLeaderEpochAt(out, 0, -1)
    out[MAGIC_AT] = BATCH_MAGIC
    out.writeInt16BE(attributes, ATTRIBUTES_AT)
    out.writeInt32BE(this.count - 1, LAST_OFFSET_DELTA_AT)
    writeInt64Number(out, BASE_TIMESTAMP_AT, this.baseTimestamp)
    writeInt64Number(out, MAX_TIMESTAMP_AT, this.maxTimestamp)
    out.writeBigInt64BE(identity.producerId, PRODUCER_ID_AT)
    out.writeInt16BE(identity.producerEpoch, PRODUCER_EPOCH_AT)
    out.writeInt32BE(identity.baseSequence, BASE_SEQUENCE_AT)
    out.writeInt32BE(this.count, RECORD_COUNT_AT)
    out.writeUInt32BE(crc32cOfRange(out, ATTRIBUTES_AT, out.length), CRC_AT)
    return out
  }

  private bodyBytes(key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[] | undefined, timestamp: number): number {
    const timestampDelta = this.count === 0 ? 0 : timestamp - this.baseTimestamp
    const headerBytes = headers === undefined || headers.length === 0 ? 1 : headersBodySize(headers)
    return 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(this.count) + sizeOfBytes(key) + sizeOfBytes(value) + headerBytes
  }

  private grow(atLeast: number): void {
    let capacity = this.buf.length * 2
    while (capacity < atLeast) capacity *= 2
    const grown = Buffer.allocUnsafe(capacity)
    this.buf.copy(grown, 0, 0, this.sizeBytes)
    this.buf = grown
  }
}
