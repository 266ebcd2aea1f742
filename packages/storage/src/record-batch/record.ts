/**
 * The shapes of records going into a RecordBatch v2 and coming out of one. Decoded keys, values
 * and header values are views into the batch's bytes (no copy): keep the batch alive while you
 * hold them, and copy them if the batch buffer is going to be reused.
 */

/** A record header. Kafka header keys are UTF-8 strings and never null; values may be null. */
export type RecordHeader = { readonly key: string; readonly value: Buffer | null }

/** A record to encode. Without a timestamp it gets the encoder's `now`. */
export type RecordInput = {
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers?: readonly RecordHeader[]
  /** Milliseconds since the epoch; a safe integer. */
  readonly timestamp?: number
  /**
   * The record's offset relative to the batch's base offset; by default its index in the batch.
   * Strictly increasing within a batch: compaction gives kept records their original deltas, so
   * they keep their offsets.
   */
  readonly offsetDelta?: number
}

/** A record read from a batch; its offset is the batch's baseOffset + offsetDelta. */
export type DecodedRecord = {
  readonly offsetDelta: number
  /** Relative to the batch's baseTimestamp, as stored. */
  readonly timestampDelta: number
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp when its type is log-append. */
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: readonly RecordHeader[]
}

/** Codecs this package encodes and decodes. */
export type Compression = 'none' | 'gzip'

/** Every codec the attributes can name (bits 0-2); `invalid` for the values Kafka does not define. */
export type CompressionCodecName = Compression | 'snappy' | 'lz4' | 'zstd' | 'invalid'

/** create: the producer's timestamps stand; log-append: the broker's append time (maxTimestamp) wins. */
export type TimestampType = 'create' | 'log-append'
