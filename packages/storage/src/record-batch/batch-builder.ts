/**
 * A RecordBatch v2 written record by record as the producer appends, so a batch is encoded once
 * and holds its records as bytes rather than as objects: the keys and values a send hands over
 * die young, which keeps the garbage collector out of the way at a million records a second.
 * It writes records and the header with encodeRecordBatch's own writers, so the bytes are the
 * same for the same records (a test checks it); `build` fills in the header (producer id, epoch,
 * base sequence) and the CRC when the batch is sent.
 */
import { RECORDS_AT } from './batch-header.js'
import { batchAttributes, gzipRecordsSection, writeBatchHeader } from './batch-header-writer.js'
import type { Compression, RecordHeader } from './record.js'
import { sizeOfRecordBody, writeRecord } from './record-writer.js'
import { sizeOfVarint } from './varint.js'

export interface BatchIdentity {
  /** -1n, -1, -1 when not idempotent. */
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
}

const INITIAL_CAPACITY = 4096

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
    this.sizeBytes = writeRecord(this.buf, this.sizeBytes, body, this.count, timestamp - this.baseTimestamp, key, value, headers)
    this.count++
  }

  /**
   * The finished batch: header and CRC written. Call once there is at least one record.
   * Uncompressed, it is a view of the builder's buffer, not a copy.
   */
  build(identity: BatchIdentity, compression: Compression): Buffer {
    const out =
      compression === 'gzip' ? gzipRecordsSection(this.buf.subarray(RECORDS_AT, this.sizeBytes)) : this.buf.subarray(0, this.sizeBytes)
    writeBatchHeader(out, {
      baseOffset: 0n,
      partitionLeaderEpoch: -1,
      attributes: batchAttributes(compression),
      lastOffsetDelta: this.count - 1,
      baseTimestamp: this.baseTimestamp,
      maxTimestamp: this.maxTimestamp,
      producerId: identity.producerId,
      producerEpoch: identity.producerEpoch,
      baseSequence: identity.baseSequence,
      recordCount: this.count,
    })
    return out
  }

  private bodyBytes(key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[] | undefined, timestamp: number): number {
    const timestampDelta = this.count === 0 ? 0 : timestamp - this.baseTimestamp
    return sizeOfRecordBody(this.count, timestampDelta, key, value, headers)
  }

  private grow(atLeast: number): void {
    let capacity = this.buf.length * 2
    while (capacity < atLeast) capacity *= 2
    const grown = Buffer.allocUnsafe(capacity)
    this.buf.copy(grown, 0, 0, this.sizeBytes)
    this.buf = grown
  }
}
