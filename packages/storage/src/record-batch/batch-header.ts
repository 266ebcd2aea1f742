/**
 * The fixed 61-byte header of a Kafka RecordBatch v2 (magic 2), and readers/writers for its fields
 * at a position inside a larger buffer (a whole segment read, a fetch response).
 *
 *   offset  size  field
 *        0     8  baseOffset             not covered by the CRC: the log assigns it on append
 *        8     4  batchLength            bytes after this field (so a batch is 12 + batchLength bytes)
 *       12     4  partitionLeaderEpoch   not covered by the CRC: the leader stamps it on append
 *       16     1  magic                  always 2
 *       17     4  crc                    CRC-32C of bytes [21, end of batch), unsigned
 *       21     2  attributes             bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
 *       23     4  lastOffsetDelta
 *       27     8  baseTimestamp          ms since epoch
 *       35     8  maxTimestamp
 *       43     8  producerId             -1 when not idempotent
 *       51     2  producerEpoch          -1 when not idempotent
 *       53     4  baseSequence           -1 when not idempotent
 *       57     4  recordCount
 *       61     .. records (possibly compressed)
 */

export const BATCH_MAGIC = 2
export const BATCH_HEADER_BYTES = 61
/** Bytes before batchLength's count starts: baseOffset (8) + batchLength (4). */
export const BATCH_LOG_OVERHEAD = 12

export const BASE_OFFSET_AT = 0
export const BATCH_LENGTH_AT = 8
export const PARTITION_LEADER_EPOCH_AT = 12
export const MAGIC_AT = 16
export const CRC_AT = 17
export const ATTRIBUTES_AT = 21
export const LAST_OFFSET_DELTA_AT = 23
export const BASE_TIMESTAMP_AT = 27
export const MAX_TIMESTAMP_AT = 35
export const PRODUCER_ID_AT = 43
export const PRODUCER_EPOCH_AT = 51
export const BASE_SEQUENCE_AT = 53
export const RECORD_COUNT_AT = 57
export const RECORDS_AT = 61

export const NO_PRODUCER_ID = -1n
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1

export const COMPRESSION_MASK = 0x07
export const TIMESTAMP_TYPE_LOG_APPEND_TIME = 0x08
export const TRANSACTIONAL_FLAG = 0x10
export const CONTROL_FLAG = 0x20

/** Total size in bytes of the batch starting at `at` (its 12-byte prefix included). */
export const batchSizeAt = (buf: Buffer, at: number): number => BATCH_LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_AT)

export const baseOffsetAt = (buf: Buffer, at: number): bigint => buf.readBigInt64BE(at + BASE_OFFSET_AT)
export const lastOffsetDeltaAt = (buf: Buffer, at: number): number => buf.readInt32BE(at + LAST_OFFSET_DELTA_AT)
export const lastOffsetAt = (buf: Buffer, at: number): bigint =>
  baseOffsetAt(buf, at) + BigInt(lastOffsetDeltaAt(buf, at))
export const partitionLeaderEpochAt = (buf: Buffer, at: number): number => buf.readInt32BE(at + PARTITION_LEADER_EPOCH_AT)
export const magicAt = (buf: Buffer, at: number): number => buf.readInt8(at + MAGIC_AT)
export const crcAt = (buf: Buffer, at: number): number => buf.readUInt32BE(at + CRC_AT)
export const attributesAt = (buf: Buffer, at: number): number => buf.readInt16BE(at + ATTRIBUTES_AT)
export const baseTimestampAt = (buf: Buffer, at: number): number => Number(buf.readBigInt64BE(at + BASE_TIMESTAMP_AT))
export const maxTimestampAt = (buf: Buffer, at: number): number => Number(buf.readBigInt64BE(at + MAX_TIMESTAMP_AT))
export const producerIdAt = (buf: Buffer, at: number): bigint => buf.readBigInt64BE(at + PRODUCER_ID_AT)
export const producerEpochAt = (buf: Buffer, at: number): number => buf.readInt16BE(at + PRODUCER_EPOCH_AT)
export const baseSequenceAt = (buf: Buffer, at: number): number => buf.readInt32BE(at + BASE_SEQUENCE_AT)
export const recordCountAt = (buf: Buffer, at: number): number => buf.readInt32BE(at + RECORD_COUNT_AT)

/** The log assigns offsets by rewriting this field in place; it is outside the CRC. */
export const writeBaseOffsetAt = (buf: Buffer, at: number, baseOffset: bigint): void => {
  buf.writeBigInt64BE(baseOffset, at + BASE_OFFSET_AT)
}
/** The leader stamps its epoch in place; it is outside the CRC. */
export const writePartitionLeaderEpochAt = (buf: Buffer, at: number, epoch: number): void => {
  buf.writeInt32BE(epoch, at + PARTITION_LEADER_EPOCH_AT)
}
