/**
 * Carrying out a MergePlan on a live log: removing emptied segments and merging runs of small
 * cleaned segments into one, each crash-safe.
 *
 * A merge uses the cleaning swap's files (see compaction.ts): the run's batches are copied, as they
 * are, to `<first base>.log.cleaned` and fsynced; it is renamed `<first base>.log.swap` (directory
 * fsynced): from then on a reopened log holds the merged segment, because finishInterruptedSwaps
 * removes every segment whose base offset lies in [swap base, swap's last offset + 1). That range
 * covers the whole run: its last segment is never empty (empty ones are removed first, and only an
 * empty first segment of the log is kept, which can only lead a run). Then the run's files are
 * removed and the swap becomes `<first base>.log`. A crash before the rename to `.swap` leaves the
 * old segments (the `.cleaned` is discarded on open); at any later point, the merged one. Either way
 * every record is there once, at its offset.
 *
 * An empty segment holds no record, so removing it needs no swap: its indexes go first, then its
 * `.log`, so a crash leaves either the segment (indexes rebuilt on open) or nothing of it.
 */
import { renameSync } from 'node:fs'
import type { Log } from '../log.js'
import { batchSizeAt } from '../record-batch/batch-header.js'
import { LogSegment } from '../segment/log-segment.js'
import { segmentFilePath } from '../segment/segment-files.js'
import { forEachBatch } from './batch-cleaner.js'
import { CleanedSegmentWriter } from './cleaned-segment-writer.js'
import { planMerges } from './merge-plan.js'

/** Called after each step that changes the directory; tests copy the directory there to simulate a crash. */
export type CompactionStepObserver = (step: string) => void

export interface MergeContext {
  readonly log: Log
  /** The log end when the pass began: the pass stops if the log was truncated below it. */
  readonly scannedEndOffset: bigint
  readonly fsyncDirectory: () => void
  readonly onStep: CompactionStepObserver
  /** Whether the log is still open and unchanged below where the pass looked. */
  readonly stillValid: (segments: readonly LogSegment[]) => boolean
}

/**
 * Removes emptied segments and merges small ones among `closed` (closed segments of the log,
 * oldest first, taken when the pass began). Returns how many segments the log holds fewer.
 */
export const mergeCleanedSegments = async (context: MergeContext, closed: readonly LogSegment[]): Promise<number> => {
  const { log } = context
  const startsLog = closed.length > 0 && log.segmentsForMaintenance()[0] === closed[0]
  const plan = planMerges(closed, log.config.segmentBytes, startsLog)
  // A merged or removed segment leaves gaps a policy changed to delete must not call damage (log.ts).
  if (plan.emptyToRemove.length > 0 || plan.groups.length > 0) {
    const segments = log.segmentsForMaintenance()
    log.noteCompactedBelow(segments[segments.length - 1]!.baseOffset)
  }
  let removed = 0
  for (const segment of plan.emptyToRemove) {
    if (!context.stillValid([segment]) || !segment.isEmpty || log.segmentsForMaintenance()[0] === segment) continue
    log.replaceSegments(log.segmentsForMaintenance().indexOf(segment), 1)
    segment.delete()
    context.onStep(`removed empty segment ${segment.baseOffset}`)
    removed++
  }
  for (const run of plan.groups) {
    if (!(await mergeRun(context, run))) break
    removed += run.length - 1
  }
  return removed
}

/** Merges `run` into one segment; false (nothing changed) when the log moved under the pass. */
const mergeRun = async (context: MergeContext, run: readonly LogSegment[]): Promise<boolean> => {
  const { log, onStep } = context
  const first = run[0]!
  if (!context.stillValid(run)) return false
  const writer = new CleanedSegmentWriter(segmentFilePath(log.dir, first.baseOffset, '.log.cleaned'), first.fileCache)
  try {
    for (const segment of run) forEachBatch(segment, (buf, at) => writer.write(buf.subarray(at, at + batchSizeAt(buf, at))))
    await writer.finish()
  } catch (error) {
    writer.abandon()
    throw error
  }
  onStep(`wrote merged segment ${first.baseOffset}.log.cleaned`)
  const segments = log.segmentsForMaintenance()
  const index = segments.indexOf(first)
  const inPlace = index >= 0 && run.every((segment, i) => segments[index + i] === segment) && index + run.length < segments.length
  if (!inPlace || !context.stillValid(run)) {
    writer.abandon()
    return false
  }
  const swap = segmentFilePath(log.dir, first.baseOffset, '.log.swap')
  renameSync(writer.file, swap)
  onStep(`renamed ${first.baseOffset}.log.cleaned to .log.swap`)
  context.fsyncDirectory()
  onStep(`fsynced the directory after the .log.swap`)
  for (const segment of run) {
    segment.delete()
    onStep(`removed merged segment ${segment.baseOffset}`)
  }
  renameSync(swap, first.file)
  onStep(`renamed ${first.baseOffset}.log.swap to .log`)
  const replacement = LogSegment.open(log.dir, first.baseOffset, first.indexIntervalBytes, {
    recover: false,
    contiguousOffsets: false,
    fileCache: first.fileCache,
  })
  log.replaceSegments(index, run.length, replacement)
  await replacement.flush()
  onStep(`opened merged segment ${first.baseOffset}`)
  return true
}
