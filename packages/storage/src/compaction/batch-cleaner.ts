/**
 * The cleaner's decisions over record batches: the latest offset of each key across segments, and
 * for one batch whether compaction keeps it, drops it, or re-encodes it with fewer records (see
 * compaction.ts for the rules). Records are walked with RecordCursor; only re-encoded batches
 * allocate per record.
 */
import { CorruptRecordBatchError } from '../errors.js'
import {
  attributesAt,
  baseOffsetAt,
  batchSizeAt,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  lastOffsetDeltaAt,
} from '../record-batch/batch-header.js'
import { readBatchHeader, RecordCursor } from '../record-batch/decoder.js'
import { encodeRecordBatch } from '../record-batch/encoder.js'
import type { Compression, RecordInput } from '../record-batch/record.js'
import type { LogSegment } from '../segment/log-segment.js'

const READ_CHUNK_BYTES = 1024 * 1024
const CODEC_NONE = 0
const CODEC_GZIP = 1

/** Each key's latest offset, relative to the log start (a number: no BigInt per record). */
export const latestOffsetByKey = (segments: readonly LogSegment[], logStartOffset: bigint): Map<string, number> => {
  const latest = new Map<string, number>()
  for (const segment of segments) {
    forEachBatch(segment, (buf, at, position) => {
      if (!isCleanable(buf, at)) return
      const batchOffset = Number(baseOffsetAt(buf, at) - logStartOffset)
      try {
        const cursor = new RecordCursor(buf, at, segment.file)
        while (cursor.next()) {
          const key = cursor.key
          if (key !== null) latest.set(key.toString('latin1'), batchOffset + cursor.offsetDelta)
        }
      } catch (error) {
        throw relocated(error, position - at)
      }
    })
  }
  return latest
}

export type BatchVerdict = 'keep' | 'drop' | Buffer

/** Decides, batch by batch, which records stay; counts the ones that go. */
export class BatchCleaner {
  recordsRemoved = 0
  private keep: Uint8Array = new Uint8Array(256)

  constructor(
    private readonly latest: ReadonlyMap<string, number>,
    private readonly logStartOffset: bigint,
    /** Tombstones stamped at or before this have been kept deleteRetentionMs and go. */
    private readonly tombstoneHorizonMs: number,
  ) {}

  /** 'keep' the batch at `at` as it is, 'drop' it, or these bytes instead (a re-encoded batch). */
  clean(buf: Buffer, at: number, file: string, position: number): BatchVerdict {
    if (!isCleanable(buf, at)) return 'keep'
    try {
      const cursor = new RecordCursor(buf, at, file)
      const count = cursor.recordCount
      const batchOffset = Number(baseOffsetAt(buf, at) - this.logStartOffset)
      const lastOffsetDelta = lastOffsetDeltaAt(buf, at)
      let kept = 0
      let previousDelta = -1
      while (cursor.next()) {
        const delta = cursor.offsetDelta
        // A producer's batch whose records do not sit at distinct offsets inside it cannot be re-encoded.
        if (delta <= previousDelta || delta > lastOffsetDelta) return 'keep'
        previousDelta = delta
        const key = cursor.key
        const keeps =
          key === null ||
          (this.latest.get(key.toString('latin1')) === batchOffset + delta &&
            !(cursor.value === null && cursor.timestamp <= this.tombstoneHorizonMs))
        // Grown as records are read, not from recordCount, which only the CRC vouches for.
        if (cursor.index > this.keep.length) this.keep = grow(this.keep)
        this.keep[cursor.index - 1] = keeps ? 1 : 0
        if (keeps) kept++
      }
      if (kept === count) return 'keep'
      this.recordsRemoved += count - kept
      return kept === 0 ? 'drop' : this.reencode(buf, at, file)
    } catch (error) {
      throw relocated(error, position - at)
    }
  }

  private reencode(buf: Buffer, at: number, file: string): Buffer {
    const header = readBatchHeader(buf, at, file)
    const records: RecordInput[] = []
    const cursor = new RecordCursor(buf, at, file)
    while (cursor.next()) {
      if (this.keep[cursor.index - 1] === 1) {
        const { key, value, headers, timestamp, offsetDelta } = cursor
        records.push({ key, value, headers, timestamp, offsetDelta })
      }
    }
    return encodeRecordBatch(records, {
      baseOffset: header.baseOffset,
      lastOffsetDelta: header.lastOffsetDelta,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      transactional: header.isTransactional,
      compression: header.compression as Compression,
      // A log-append batch decodes every record at its maxTimestamp, which re-encoding keeps.
      timestampType: header.timestampType,
    })
  }
}

/**
 * Calls `visit` for each batch of `segment` whose last offset is below `endOffset` (all by
 * default), in order, with its file position. LogSegment.read checks every batch's CRC and offsets.
 */
export const forEachBatch = (
  segment: LogSegment,
  visit: (buf: Buffer, at: number, position: number) => void,
  endOffset?: bigint,
): void => {
  let offset = segment.baseOffset
  for (;;) {
    const chunk = segment.read(offset, READ_CHUNK_BYTES, endOffset)
    if (chunk === undefined) return
    const bytes = chunk.bytes
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) visit(bytes, at, chunk.firstBatchPosition + at)
    offset = chunk.lastOffset + 1n
  }
}

const grow = (flags: Uint8Array): Uint8Array => {
  const grown = new Uint8Array(2 * flags.length)
  grown.set(flags)
  return grown
}

/** Batches whose records this cleaner reads: data batches, uncompressed or gzip. */
const isCleanable = (buf: Buffer, at: number): boolean => {
  const attributes = attributesAt(buf, at)
  const codec = attributes & COMPRESSION_MASK
  return (attributes & CONTROL_FLAG) === 0 && (codec === CODEC_NONE || codec === CODEC_GZIP)
}

/** RecordCursor names a batch by its index in the buffer it was given; this names it in the file. */
const relocated = (error: unknown, shift: number): unknown =>
  error instanceof CorruptRecordBatchError
    ? new CorruptRecordBatchError({ file: error.file, position: error.position + shift, reason: error.reason })
    : error
