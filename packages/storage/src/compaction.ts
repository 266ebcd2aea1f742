/**
 * LogCleaner, Kafka's cleanup.policy=compact: in the closed segments, keeps only the latest record
 * of each key, and removes tombstones (null values) once they are deleteRetentionMs old.
 *
 * Offsets never change. A batch keeping all its records is copied byte for byte; one keeping some
 * is re-encoded at its base offset, each record at its original offset delta, with its original
 * lastOffsetDelta and producer, leader epoch, compression and timestamp-type fields; one keeping
 * none is dropped. The active segment is read (it holds the newest record of many keys) but never
 * rewritten. Records with a null key, control batches and codecs this package cannot decode are
 * kept as they are. Segments are cleaned oldest first, so a crash between two of them never leaves
 * a key's old value behind a tombstone that is already gone.
 *
 * The swap, and what a crash leaves of it: the cleaned segment is written to `<base>.log.cleaned`
 * and fsynced, renamed `<base>.log.swap` (directory fsynced), then the old `.log`, `.index` and
 * `.timeindex` are removed and the swap becomes `<base>.log`, whose indexes are rebuilt as it is
 * opened. On open, finishInterruptedSwaps discards a `.cleaned` (the old segment is still whole)
 * and completes a `.swap` (the new one is), so a crash anywhere leaves one or the other.
 *
 * Then the pass keeps the number of segments bounded by the live bytes (compaction/merge-plan.ts):
 * emptied segments are removed, except the log's first, whose base offset is the log start; runs of
 * small adjacent cleaned segments are merged into one up to segmentBytes, named by the run's first
 * base offset, through the same swap (compaction/segment-merger.ts). Offsets never move: a merged
 * segment keeps every record at its offset, and a removed segment's offsets stay a gap below the
 * next segment, never handed out again. Cleaning and merging are two steps, each crash-safe alone.
 */
import { closeSync, fsyncSync, openSync, renameSync } from 'node:fs'
import { BatchCleaner, forEachBatch, latestOffsetByKey } from './compaction/batch-cleaner.js'
import { CleanedSegmentWriter } from './compaction/cleaned-segment-writer.js'
import { LogClosedError } from './errors.js'
import type { Log } from './log.js'
import { baseOffsetAt, batchSizeAt } from './record-batch/batch-header.js'
import { LogSegment } from './segment/log-segment.js'
import { segmentFilePath } from './segment/segment-files.js'
import { mergeCleanedSegments, type CompactionStepObserver } from './compaction/segment-merger.js'

export interface CompactionResult {
  /** Closed segments rewritten (a segment where nothing changes is left alone). */
  readonly segmentsCleaned: number
  /** Records removed from those segments. */
  readonly recordsRemoved: number
  /** Size of the rewritten segments before and after: the bytes reclaimed are the difference. */
  readonly bytesBefore: number
  readonly bytesAfter: number
  /** How many segments fewer the log holds: emptied ones removed, small ones merged into a neighbour. */
  readonly segmentsRemoved: number
}

const NOTHING_DONE: CompactionResult = { segmentsCleaned: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0, segmentsRemoved: 0 }
const IGNORE_STEPS: CompactionStepObserver = () => {}

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
export const compactLog = async (log: Log, nowMs: number, onStep: CompactionStepObserver = IGNORE_STEPS): Promise<CompactionResult> => {
  const previous = running.get(log) ?? Promise.resolve()
  const pass = previous.catch(() => undefined).then(() => compactOnce(log, nowMs, onStep))
  running.set(log, pass)
  try {
    return await pass
  } finally {
    if (running.get(log) === pass) running.delete(log)
  }
}

const compactOnce = async (log: Log, nowMs: number, onStep: CompactionStepObserver): Promise<CompactionResult> => {
  if (log.config.cleanupPolicy === 'delete') return NOTHING_DONE
  const segments = [...log.segmentsForMaintenance()]
  if (segments.length < 2) return NOTHING_DONE
  const scannedEndOffset = log.logEndOffset
  const logStartOffset = segments[0].baseOffset
  const cleaner = new BatchCleaner(latestOffsetByKey(segments, logStartOffset), logStartOffset, nowMs - log.config.deleteRetentionMs)
  let { segmentsCleaned, recordsRemoved, bytesBefore, bytesAfter } = NOTHING_DONE
  const closed = segments.slice(0, -1)
  let interrupted = false
  for (const [i, segment] of closed.entries()) {
    const removedBefore = cleaner.recordsRemoved
    const cleaned = cleanSegment(segment, cleaner)
    if (cleaned === undefined) continue
    const sizeBefore = segment.sizeBytes
    onStep(`wrote cleaned segment ${segment.baseOffset}.log.cleaned`)
    const replacement = await swapIn(log, segment, cleaned, scannedEndOffset, onStep)
    if (replacement === undefined) {
      interrupted = true
      break
    }
    closed[i] = replacement
    segmentsCleaned++
    recordsRemoved += cleaner.recordsRemoved - removedBefore
    bytesBefore += sizeBefore
    bytesAfter += cleaned.sizeBytes
  }
  if (segmentsCleaned > 0) fsyncDirectory(log.dir)
  let segmentsRemoved = 0
  if (!interrupted) {
    const stillValid = (run: readonly LogSegment[]): boolean =>
      log.logEndOffset >= scannedEndOffset && run.every((segment) => isOpen(segment) && log.segmentsForMaintenance().indexOf(segment) >= 0)
    const context = { log, scannedEndOffset, onStep, stillValid, fsyncDirectory: () => fsyncDirectory(log.dir) }
    segmentsRemoved = await mergeCleanedSegments(context, closed)
    if (segmentsRemoved > 0) fsyncDirectory(log.dir)
  }
  return { segmentsCleaned, recordsRemoved, bytesBefore, bytesAfter, segmentsRemoved }
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
        const started = new CleanedSegmentWriter(segmentFilePath(segment.dir, segment.baseOffset, '.log.cleaned'), segment.fileCache)
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
 * else, the renames, removals and reopening described at the top. Returns the new segment, or
 * undefined, discarding the file, when the log moved under the pass (see compactLog).
 */
const swapIn = async (
  log: Log,
  old: LogSegment,
  cleaned: CleanedSegmentWriter,
  scannedEndOffset: bigint,
  onStep: CompactionStepObserver,
): Promise<LogSegment | undefined> => {
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
    return undefined
  }
  const swap = segmentFilePath(log.dir, old.baseOffset, '.log.swap')
  // Before the swap can be found on open: from here on the closed segments may have gaps (see
  // log.ts). All of them at once, so that a pass pays one fsync for it, not one per segment.
  log.noteCompactedBelow(segments[segments.length - 1]!.baseOffset)
  renameSync(cleaned.file, swap)
  onStep(`renamed ${old.baseOffset}.log.cleaned to .log.swap`)
  // From here on the swap, not the old segment, is what a reopened log holds.
  fsyncDirectory(log.dir)
  onStep(`fsynced the directory after the .log.swap`)
  // A closed segment's fsync under way keeps its descriptor until it completes (LogSegment.close).
  old.delete()
  onStep(`removed cleaned segment ${old.baseOffset}`)
  renameSync(swap, old.file)
  onStep(`renamed ${old.baseOffset}.log.swap to .log`)
  const replacement = LogSegment.open(log.dir, old.baseOffset, old.indexIntervalBytes, { recover: false, contiguousOffsets: false, fileCache: old.fileCache })
  log.replaceSegments(index, 1, replacement)
  // Its log is already on disk; this makes the rebuilt indexes durable too, as for a rolled segment.
  await replacement.flush()
  return replacement
}

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
