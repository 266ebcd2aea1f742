/**
 * Finishing a RecordBatch v2 whose records section is written: gzipping that section, and filling
 * the 61-byte header and the CRC. Shared by encodeRecordBatch and BatchBuilder; runs once a batch.
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
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  RECORDS_AT,
  TIMESTAMP_TYPE_LOG_APPEND_TIME,
  TRANSACTIONAL_FLAG,
  writeBaseOffsetAt,
  writePartitionLeaderEpochAt,
} from './batch-header.js'
import { crc32cOfRange } from './crc32c.js'
import type { Compression, TimestampType } from './record.js'

const GZIP_CODEC = 1

/** The header fields a batch's writer decides; the batch length and CRC follow from the bytes. */
export type BatchHeaderFields = {
  readonly baseOffset: bigint
  readonly partitionLeaderEpoch: number
  readonly attributes: number
  readonly lastOffsetDelta: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly recordCount: number
}

export const batchAttributes = (compression: Compression | undefined, timestampType?: TimestampType, transactional?: boolean): number => {
  let attributes = compression === 'gzip' ? GZIP_CODEC : 0
  if (timestampType === 'log-append') attributes |= TIMESTAMP_TYPE_LOG_APPEND_TIME
  if (transactional === true) attributes |= TRANSACTIONAL_FLAG
  return attributes
}

/** A new batch buffer holding `records` (a plain records section) gzipped after room for the header. */
export const gzipRecordsSection = (records: Buffer): Buffer => {
  const compressed = gzipSync(records)
  const buf = Buffer.allocUnsafe(RECORDS_AT + compressed.length)
  buf.set(compressed, RECORDS_AT)
  return buf
}

// Timestamps are safe integers, so two 32-bit halves write them without a BigInt.
const writeInt64Number = (buf: Buffer, at: number, value: number): void => {
  const high = Math.floor(value / 2 ** 32)
  buf.writeInt32BE(high, at)
  buf.writeUInt32BE(value - high * 2 ** 32, at + 4)
}

/** Fills the header of the batch that is all of `buf` (records from RECORDS_AT on), CRC last. */
export const writeBatchHeader = (buf: Buffer, fields: BatchHeaderFields): void => {
  writeBaseOffsetAt(buf, 0, fields.baseOffset)
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD, BATCH_LENGTH_AT)
  writePartitionLeaderEpochAt(buf, 0, fields.partitionLeaderEpoch)
  buf[MAGIC_AT] = BATCH_MAGIC
  buf.writeInt16BE(fields.attributes, ATTRIBUTES_AT)
  buf.writeInt32BE(fields.lastOffsetDelta, LAST_OFFSET_DELTA_AT)
  writeInt64Number(buf, BASE_TIMESTAMP_AT, fields.baseTimestamp)
  writeInt64Number(buf, MAX_TIMESTAMP_AT, fields.maxTimestamp)
  buf.writeBigInt64BE(fields.producerId, PRODUCER_ID_AT)
  buf.writeInt16BE(fields.producerEpoch, PRODUCER_EPOCH_AT)
  buf.writeInt32BE(fields.baseSequence, BASE_SEQUENCE_AT)
  buf.writeInt32BE(fields.recordCount, RECORD_COUNT_AT)
  buf.writeUInt32BE(crc32cOfRange(buf, ATTRIBUTES_AT, buf.length), CRC_AT)
}
