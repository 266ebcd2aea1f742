/**
 * A log's recovery point: every offset below it was on disk (fdatasynced) when it was recorded,
 * kept in `recovery-point-offset-checkpoint` (see log-checkpoints.ts for what open makes of it).
 *
 * - Raised after each flush that covers more, before the appends it covers are acknowledged, so an
 *   acknowledged offset is always below it; never past a closed segment whose roll-time flush has
 *   not completed. Raised in place (one write, no fsync: a process crash keeps it, an OS crash may
 *   leave an older, more cautious one); written whole by rename the first time in a process and
 *   after any write that may have left the file holding something else.
 * - Lowered before a truncation cuts below it, durably unless the caller says otherwise.
 * - Set when the log starts again elsewhere, or at close.
 */
import type { LogSegment } from './segment/log-segment.js'
import { raiseOffsetCheckpoint, RECOVERY_POINT_FILE, writeOffsetCheckpoint } from './log-checkpoints.js'

export class RecoveryPoint {
  /** Closed segments whose roll-time flush has not completed: the point stays below them. */
  private readonly unflushedClosed = new Set<LogSegment>()
  /**
   * The file was written whole by this process and only raised since: it holds an offset no higher
   * than `offset`, so a raise may overwrite it in place (the new text is never shorter).
   */
  private fileWritten = false

  constructor(
    private readonly dir: string,
    /** As open found it; undefined when the checkpoint was missing or damaged. */
    private value: bigint | undefined,
  ) {}

  get offset(): bigint | undefined {
    return this.value
  }

  closedSegmentUnflushed(segment: LogSegment): void {
    this.unflushedClosed.add(segment)
  }

  closedSegmentFlushed(segment: LogSegment): void {
    this.unflushedClosed.delete(segment)
  }

  /** After a flush covering everything below `end`: a failed write leaves the old, lower point. */
  raise(end: bigint): void {
    let point = end
    for (const segment of this.unflushedClosed) if (segment.baseOffset < point) point = segment.baseOffset
    if (this.value !== undefined && point <= this.value) return
    this.value = point
    try {
      if (this.fileWritten) raiseOffsetCheckpoint(this.dir, RECOVERY_POINT_FILE, point)
      else writeOffsetCheckpoint(this.dir, RECOVERY_POINT_FILE, point, false)
      this.fileWritten = true
    } catch {
      // The checkpoint on disk stays lower than the truth, which is only cautious. The next raise
      // writes it whole, since an in-place write may have left it half done.
      this.fileWritten = false
    }
  }

  /** Before a cut below the point: it must never stay above the log's end. */
  lower(offset: bigint, durable = true): void {
    if (this.value === undefined || this.value <= offset) return
    this.set(offset, durable)
  }

  /** Replaces the point whatever it was (the log starting again at `offset`, or closing). */
  set(offset: bigint, durable: boolean): void {
    this.value = offset
    this.fileWritten = false
    writeOffsetCheckpoint(this.dir, RECOVERY_POINT_FILE, offset, durable)
    this.fileWritten = true
  }
}
