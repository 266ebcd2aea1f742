/**
 * LogCleaner, Kafka's cleanup.policy=compact: in the closed segments, keeps only the latest record
 * of each key, and removes tombstones (null values) once they are deleteRetentionMs old.
 *
 * Offsets never change. A batch keeping all its records is copied byte for byte; one keeping some
 * is re-encoded at its base offset, each record at its original offset delta, with its original
 * lastOffsetDelta and producer, leader epoch, compression and timestamp-type fields; one keeping
 * none is dropped. A segment that loses everything stays as an empty file, so the log start offset
 * does not move. The active segment is read (it holds the newest record of many keys) but never
 * rewritten. Records with a null key, control batches and codecs this package cannot decode are
 * kept as they are. Segments are cleaned oldest first, so a crash between two of them never leaves
 * a key's old value behind a tombstone that is already gone.
 *
 * The swap, and what a crash leaves of it: the cleaned segment is written to `<base>.log.cleaned`
 * and fsynced, renamed `<base>.log.swap` (directory fsynced), then the old `.log`, `.index` and
 * `.timeindex` are removed and the swap becomes `<base>.log`, whose indexes are rebuilt as it is
 * opened. On open, finishInterruptedSwaps discards a `.cleaned` (the old segment is still whole)
 * and completes a `.swap` (the new one is), so a crash anywhere leaves one or the other.
 */
import { closeSync, fdatasync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { CorruptRecordBatchError, LogClosedError } from './errors.js'
import type { Log } from './log.js'
import {
  attributesAt,
  baseOffsetAt,
  batchSizeAt,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  lastOffsetDeltaAt,
} from './record-batch/batch-header.js'
import { readBatchHeader, RecordCursor } from './record-batch/decoder.js'
import { encodeRecordBatch } from './record-batch/encoder.js'
import type { Compression, RecordInput } from './record-batch/record.js'
import { LogSegment } from './segment/log-segment.js'
import { segmentFilePath } from './segment/segment-files.js'

export interface CompactionResult {
  /** Closed segments rewritten (a segment where nothing changes is left alone). */
  readonly segmentsCleaned: number
  /** Records removed from those segments. */
  readonly recordsRemoved: number
  /** Size of the rewritten segments before and after: the bytes reclaimed are the difference. */
  readonly bytesBefore: number
  readonly bytesAfter: number
}

const NOTHING_DONE: CompactionResult = { segmentsCleaned: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 }
const READ_CHUNK_BYTES = 1024 * 1024
const WRITE_CHUNK_BYTES = 1024 * 1024
const CODEC_NONE = 0
const CODEC_GZIP = 1

// One compaction per log at a time: two would write the same `.cleaned` files.
const running = new WeakMap<Log, Promise<unknown>>()

/**
 * Compacts the closed segments of `log` if its cleanup policy includes 'compact' (a no-op
 * otherwise); `nowMs` decides which tombstones have expired. Call it through `Log.compact()`, which
 * first waits for the fsyncs under way. Appends may go on meanwhile (records appended after the
 * scan only make it keep more); truncation must not (the log's owner runs one at a time, as Kafka
 * pauses cleaning around it): should the log end fall below where the scan ended, or a segment be
 * closed or removed, the pass stops and discards what it had not swapped in yet.
 */
export const compactLog = async (log: Log, nowMs: number): Promise<CompactionResult> => {
  const previous = running.get(log) ?? Promise.resolve()
  const pass = previous.catch(() => undefined).then(() => compactOnce(log, nowMs))
  running.set(log, pass)
  try {
    return await pass
  } finally {
    if (running.get(log) === pass) running.delete(log)
  }
}

const compactOnce = async (log: Log, nowMs: number): Promise<CompactionResult> => {
  if (log.config.cleanupPolicy === 'delete') return NOTHING_DONE
  const segments = [...log.segmentsForMaintenance()]
  if (segments.length < 2) return NOTHING_DONE
  const scannedEndOffset = log.logEndOffset
  const logStartOffset = segments[0].baseOffset
  const cleaner = new BatchCleaner(latestOffsetByKey(segments, logStartOffset), logStartOffset, nowMs - log.config.deleteRetentionMs)
  let { segmentsCleaned, recordsRemoved, bytesBefore, bytesAfter } = NOTHING_DONE
  for (const segment of segments.slice(0, -1)) {
    const removedBefore = cleaner.recordsRemoved
    const cleaned = cleanSegment(segment, cleaner)
    if (cleaned === undefined) continue
    const sizeBefore = segment.sizeBytes
    if (!(await swapIn(log, segment, cleaned, scannedEndOffset))) break
    segmentsCleaned++
    recordsRemoved += cleaner.recordsRemoved - removedBefore
    bytesBefore += sizeBefore
    bytesAfter += cleaned.sizeBytes
  }
  if (segmentsCleaned > 0) fsyncDirectory(log.dir)
  return { segmentsCleaned, recordsRemoved, bytesBefore, bytesAfter }
}

/** Each key's latest offset, relative to the log start (a number: no BigInt per record). */
const latestOffsetByKey = (segments: readonly LogSegment[], logStartOffset: bigint): Map<string, number> => {
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

type BatchVerdict = 'keep' | 'drop' | Buffer

/** Decides, batch by batch, which records stay; counts the ones that go. */
class BatchCleaner {
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
 * Writes the cleaned copy of `segment` to `<base>.log.cleaned` and returns its writer (not yet
 * fsynced), or undefined when compaction would not change the segment (then nothing is written).
 */
const cleanSegment = (segment: LogSegment, cleaner: BatchCleaner): CleanedSegmentWriter | undefined => {
  let writer = undefined as CleanedSegmentWriter | undefined
  try {
    forEachBatch(segment, (buf, at, position) => {
      const verdict = cleaner.clean(buf, at, segment.file, position)
      if (verdict === 'keep') {
        writer?.write(buf.subarray(at, at + batchSizeAt(buf, at)))
        return
      }
      if (writer === undefined) {
        // The first change: the batches before it go to the new file unchanged.
        const started = new CleanedSegmentWriter(segmentFilePath(segment.dir, segment.baseOffset, '.log.cleaned'))
        writer = started
        forEachBatch(segment, (before, from) => started.write(before.subarray(from, from + batchSizeAt(before, from))), baseOffsetAt(buf, at))
      }
      if (verdict !== 'drop') writer.write(verdict)
    })
  } catch (error) {
    writer?.abandon()
    throw error
  }
  return writer
}

/**
 * Replaces `old` by the cleaned file: fsync it (the one wait), then, without yielding to anything
 * else, the renames, removals and reopening described at the top. Returns false, discarding the
 * file, when the log moved under the pass (see compactLog).
 */
const swapIn = async (log: Log, old: LogSegment, cleaned: CleanedSegmentWriter, scannedEndOffset: bigint): Promise<boolean> => {
  try {
    await cleaned.finish()
  } catch (error) {
    cleaned.abandon()
    throw error
  }
  const segments = log.segmentsForMaintenance()
  const index = segments.indexOf(old)
  if (index < 0 || index === segments.length - 1 || !isOpen(old) || log.logEndOffset < scannedEndOffset) {
    cleaned.abandon()
    return false
  }
  const swap = segmentFilePath(log.dir, old.baseOffset, '.log.swap')
  renameSync(cleaned.file, swap)
  // From here on the swap, not the old segment, is what a reopened log holds.
  fsyncDirectory(log.dir)
  // A closed segment's fsync under way keeps its descriptor until it completes (LogSegment.close).
  old.delete()
  renameSync(swap, old.file)
  const replacement = LogSegment.open(log.dir, old.baseOffset, old.indexIntervalBytes, { recover: false, contiguousOffsets: false })
  log.replaceSegment(index, replacement)
  // Its log is already on disk; this makes the rebuilt indexes durable too, as for a rolled segment.
  await replacement.flush()
  return true
}

/** The cleaned segment's file, written in large sequential chunks. */
class CleanedSegmentWriter {
  sizeBytes = 0
  private readonly fd: number
  private pending: Buffer[] = []
  private pendingBytes = 0
  private closed = false

  constructor(readonly file: string) {
    // A leftover of the same name is from a pass that never reached its swap: it is replaced.
    this.fd = openSync(file, 'w')
  }

  write(batch: Buffer): void {
    this.pending.push(batch)
    this.pendingBytes += batch.length
    this.sizeBytes += batch.length
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) this.writePending()
  }

  /** Writes the rest, fdatasyncs off the event loop, and closes the file. */
  async finish(): Promise<void> {
    this.writePending()
    const fd = this.fd
    await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())))
    this.close()
  }

  /** Closes and removes the file. */
  abandon(): void {
    this.close()
    rmSync(this.file, { force: true })
  }

  private writePending(): void {
    const bytes = Buffer.concat(this.pending, this.pendingBytes)
    for (let written = 0; written < bytes.length; ) written += writeSync(this.fd, bytes, written, bytes.length - written)
    this.pending = []
    this.pendingBytes = 0
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
  }
}

/**
 * Calls `visit` for each batch of `segment` whose last offset is below `endOffset` (all by
 * default), in order, with its file position. LogSegment.read checks every batch's CRC and offsets.
 */
const forEachBatch = (
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

/** LogSegment says it is closed only by refusing work: a read at its end costs nothing else. */
const isOpen = (segment: LogSegment): boolean => {
  try {
    segment.read(segment.nextOffset, 0)
    return true
  } catch (error) {
    if (error instanceof LogClosedError) return false
    throw error
  }
}

const fsyncDirectory = (dir: string): void => {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
