/**
 * A partition's log: a directory of segments, oldest first, the last one active (appended to).
 *
 * The log assigns offsets: each appended batch gets the next base offset written into its header
 * (outside the CRC), so the caller's bytes go to disk as they are. Reads return whole batches as
 * one slice of a segment file. Offsets are `bigint` at this API (per batch, never per record).
 *
 * Open, and what it trusts (the files are described in log-checkpoints.ts):
 * - After a clean shutdown (Log.close left its marker) nothing is recovered: every segment opens
 *   as a closed one does, trusting its indexes and checking the batches after its last entry.
 * - After an unclean one, the active segment is scanned and a torn tail is cut, but only above
 *   the recovery point (the offset up to which the log was known flushed); what is cut is in
 *   `recovery`. Closed segments were fsynced when they were rolled, so only their indexes may need
 *   rebuilding.
 * - Damage anywhere else (an invalid batch, offsets that contradict the segment's name, the
 *   previous batch or the next segment, a log ending below its recovery point) is corruption: the
 *   log opens with `damage` set, serves the offsets below it, and refuses reads of the damaged
 *   offsets and every append with that LogCorruptedError until an operator repairs it (repair.ts).
 *   Batches are checked again as they are read (CRC and offsets, per batch), so damage open did
 *   not look at fails the read that reaches it with a LogCorruptedError too.
 * Which segments may have gaps between batches (compaction keeps records at their offsets): those
 * below the compacted-below checkpoint, which compaction raises before each swap, and, for a log
 * whose policy includes compact, every closed segment (logs compacted before that checkpoint
 * existed). Every other segment must be contiguous and start at its base offset.
 * A compaction interrupted by a crash is finished or discarded on open (see compaction.ts).
 *
 * A full disk: an append whose write fails is cut back (the `.log`, its indexes, and a segment
 * rolled for it, removed) so the log is exactly as before, and throws StorageFullError; the next
 * append simply tries again. A failed fsync is different: after one, the kernel may have dropped
 * the unsynced pages while reads still see them, so nothing written since the last good sync can
 * be called durable. The log then fails every flush wait and refuses appends
 * (LogNeedsRecoveryError) until it is reopened, when recovery reads what is really on disk.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { compactLog, type CompactionResult } from './compaction.js'
import {
  CorruptRecordBatchError,
  LogClosedError,
  LogCorruptedError,
  LogNeedsRecoveryError,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
} from './errors.js'
import {
  COMPACTED_BELOW_FILE,
  hasCleanShutdownMarker,
  readOffsetCheckpoint,
  RECOVERY_POINT_FILE,
  removeCleanShutdownMarker,
  segmentMayHaveGaps,
  writeCleanShutdownMarker,
  writeOffsetCheckpoint,
} from './log-checkpoints.js'
import { damageFound, repairedSegments } from './log-damage.js'
import { RecoveryPoint } from './recovery-point.js'
import { decodeLogConfig, type LogConfig, type LogConfigInput } from './log-config.js'
import {
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  writeBaseOffsetAt,
  writePartitionLeaderEpochAt,
} from './record-batch/batch-header.js'
import { type CheckedBatches, checkBatches, isCheckedBatches } from './record-batch/checked-batches.js'
import { segmentsToDelete, shouldRollForRetention } from './retention.js'
import { LogSegment } from './segment/log-segment.js'
import { SegmentFileCache, withDescriptor } from './segment/segment-file-cache.js'
import { finishInterruptedSwaps, listSegmentBaseOffsets } from './segment/segment-files.js'
import { SyncScheduler } from './sync-scheduler.js'
import { isOutOfSpace } from './write-failure.js'

export interface LogOptions {
  /** The clock used for segment age and retention; tests pass a virtual one. */
  readonly nowMs?: () => number
  /**
   * Bounds the descriptors of closed segments, shared with other logs; SegmentFileCache.shared
   * (1,000 files) by default. The active segment holds its 3 files outside it.
   */
  readonly fileCache?: SegmentFileCache
}

export interface AppendOptions {
  /** Stamped into each batch's partitionLeaderEpoch field (outside the CRC). */
  readonly leaderEpoch?: number
}

export interface AppendResult {
  readonly baseOffset: bigint
  readonly lastOffset: bigint
  readonly batchCount: number
  readonly recordCount: number
  /** The log end offset after this append. */
  readonly logEndOffset: bigint
}

export interface ReadOptions {
  /** Upper bound on the bytes returned, except that a first batch bigger than this comes whole. */
  readonly maxBytes: number
  /** Only batches whose last offset is below this (e.g. the high watermark) are returned. */
  readonly maxOffset?: bigint
}

export interface LogReadResult {
  /** Whole record batches, possibly empty; the first may start before the requested offset. */
  readonly bytes: Buffer
  readonly logStartOffset: bigint
  readonly logEndOffset: bigint
}

export interface RetentionResult {
  readonly deletedSegments: number
  readonly logStartOffset: bigint
}

/** What open found and did, for the caller to report. */
export interface LogOpenReport {
  readonly cleanShutdown: boolean
  /** The recovery point open trusted; undefined when its checkpoint was missing or damaged. */
  readonly recoveryPoint: bigint | undefined
  /** Facts an operator should hear that are not damage (e.g. a checkpoint that did not parse). */
  readonly notes: readonly string[]
}

export class Log {
  private closed = false
  private readonly sync: SyncScheduler
  /** Closed segments whose roll-time flush has not completed: the recovery point stays below them. */

  private constructor(
    readonly dir: string,
    readonly config: LogConfig,
    private readonly segments: LogSegment[],
    private readonly nowMs: () => number,
    /** What recovery cut from the active segment on open (a torn tail above the recovery point). */
    readonly recovery: { readonly truncatedBytes: number; readonly reason: string; readonly position: number } | undefined,
    /** Damage found at open: see LogCorruptedError. */
    readonly damage: LogCorruptedError | undefined,
    readonly openReport: LogOpenReport,
    private readonly recoveryPointState: RecoveryPoint,
    private compactedBelow: bigint,
    /** Where closed segments' descriptors are kept (and bounded). */
    readonly fileCache: SegmentFileCache,
  ) {
    this.sync = new SyncScheduler(config.flush, () => this.activeData)
  }

  /** Opens (or creates) the log in `dir`; see the top of this file for what it checks and recovers. */
  static async open(dir: string, configInput: LogConfigInput = {}, options: LogOptions = {}): Promise<Log> {
    const config = decodeLogConfig(configInput)
    const fileCache = options.fileCache ?? SegmentFileCache.shared
    mkdirSync(dir, { recursive: true })
    const baseOffsets = withDescriptor(dir, fileCache, () => {
      finishInterruptedSwaps(dir)
      return listSegmentBaseOffsets(dir)
    })
    const cleanShutdown = hasCleanShutdownMarker(dir)
    if (cleanShutdown) removeCleanShutdownMarker(dir)
    const notes: string[] = []
    const recoveryPointRead = readOffsetCheckpoint(dir, RECOVERY_POINT_FILE)
    if (recoveryPointRead.kind === 'damaged') notes.push(`recovery point not trusted: ${recoveryPointRead.reason}`)
    const recoveryPoint = recoveryPointRead.kind === 'offset' ? recoveryPointRead.offset : undefined
    const compactedRead = readOffsetCheckpoint(dir, COMPACTED_BELOW_FILE)
    if (compactedRead.kind === 'damaged') notes.push(`every segment may have compaction gaps: ${compactedRead.reason}`)
    // Unreadable: assume every segment may have gaps, so that no compacted segment is called damaged.
    const compactedBelow = compactedRead.kind === 'offset' ? compactedRead.offset : compactedRead.kind === 'missing' ? 0n : 2n ** 63n
    const segments: LogSegment[] = []
    let recovery: Log['recovery']
    if (baseOffsets.length === 0) {
      segments.push(LogSegment.create(dir, 0n, config.indexIntervalBytes, { fileCache }))
    } else {
      try {
        for (const [i, baseOffset] of baseOffsets.entries()) {
          const isActive = i === baseOffsets.length - 1
          const mayHaveGaps = segmentMayHaveGaps(baseOffset, isActive, compactedBelow, config.cleanupPolicy)
          const segment = LogSegment.open(dir, baseOffset, config.indexIntervalBytes, {
            recover: isActive && !cleanShutdown,
            holdFilesOpen: isActive,
            fileCache,
            contiguousOffsets: !mayHaveGaps,
            nextSegmentBaseOffset: baseOffsets[i + 1],
            recoveryPoint,
          })
          if (isActive && segment.recovered !== undefined && segment.recovered.truncatedBytes > 0) {
            recovery = segment.recovered
          }
          segments.push(segment)
        }
      } catch (error) {
        // A log that cannot open (e.g. TooManyOpenFilesError) holds no descriptor afterwards.
        for (const segment of segments) segment.close()
        throw error
      }
    }
    const repaired = repairedSegments(dir)
    const mustEndAtNext = (segment: LogSegment): boolean =>
      !segmentMayHaveGaps(segment.baseOffset, false, compactedBelow, config.cleanupPolicy) && !repaired.has(segment.file)
    const damage = damageFound(dir, segments, recoveryPoint, mustEndAtNext)
    const report: LogOpenReport = { cleanShutdown, recoveryPoint, notes }
    return new Log(dir, config, segments, options.nowMs ?? Date.now, recovery, damage, report, new RecoveryPoint(dir, recoveryPoint), compactedBelow, fileCache)
  }

  /** The offset up to which everything appended is known to be on disk (checkpointed); undefined when unknown. */
  get recoveryPoint(): bigint | undefined {
    return this.recoveryPointState.offset
  }

  get logStartOffset(): bigint {
    return this.segments[0]!.baseOffset
  }

  get logEndOffset(): bigint {
    return this.active.nextOffset
  }

  get sizeBytes(): number {
    return this.segments.reduce((total, segment) => total + segment.sizeBytes, 0)
  }

  /**
   * Invalid batches found in closed segments when they were opened: those segments serve the
   * batches before the bad one and fail reads that reach it, naming the file and position.
   */
  get corruptions(): ReadonlyArray<{ readonly file: string; readonly position: number; readonly reason: string }> {
    return this.segments.flatMap((segment) => (segment.corruption === undefined ? [] : [{ file: segment.file, ...segment.corruption }]))
  }

  get segmentCount(): number {
    return this.segments.length
  }

  /**
   * File descriptors this log holds now: the active segment's 3, and the closed segments' files
   * the fileCache keeps open (at most its maxOpenFiles, shared with the other logs using it).
   */
  get openFileCount(): number {
    return this.segments.reduce((total, segment) => total + segment.openFileCount, 0)
  }

  /**
   * What an append's fsync covers: the active segment's `.log` (recovery rebuilds its indexes).
   * The recovery point moves as soon as it completes, before any append waiting on it is
   * acknowledged: an acknowledged offset is always below it.
   */
  private readonly activeData = {
    flush: async (): Promise<void> => {
      const segment = this.active
      const end = segment.nextOffset
      await segment.flushData()
      this.recoveryPointState.raise(end)
    },
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!
  }

  /**
   * Appends one or more whole record batches and assigns their offsets, resolving once the flush
   * policy is met. The buffer is taken over: its base offset (and leader epoch) fields are
   * rewritten in place. Every batch is checked first (length, magic, CRC, maxBatchBytes); if any
   * fails, nothing is written.
   */
  async append(batches: Buffer | CheckedBatches, options: AppendOptions = {}): Promise<AppendResult> {
    const result = this.appendUnflushed(batches, options)
    await this.sync.policyBarrier()
    return result
  }

  /**
   * `append` without waiting for the flush policy: the bytes are written (visible to reads) when
   * this returns. A caller appending many batches in a row then awaits `flushedPerPolicy()` once
   * before acknowledging any of them: that is group commit.
   */
  appendUnflushed(input: Buffer | CheckedBatches, options: AppendOptions = {}): AppendResult {
    this.ensureOpen()
    if (this.damage !== undefined) throw this.damage
    if (this.sync.failure !== undefined) {
      throw new LogNeedsRecoveryError({ dir: this.dir, reason: `an fsync failed: ${String(this.sync.failure)}` })
    }
    const checked = this.checked(input)
    const batches = checked.bytes
    const { batchCount, recordCount, maxTimestamp } = checked

    const baseOffset = this.logEndOffset
    let nextOffset = baseOffset
    for (let at = 0; at < batches.length; at += batchSizeAt(batches, at)) {
      writeBaseOffsetAt(batches, at, nextOffset)
      if (options.leaderEpoch !== undefined) writePartitionLeaderEpochAt(batches, at, options.leaderEpoch)
      nextOffset += BigInt(lastOffsetDeltaAt(batches, at)) + 1n
    }
    const lastOffset = nextOffset - 1n

    const closedByRoll = this.rollIfNeeded(batches.length, lastOffset, maxTimestamp)
    try {
      this.active.append(batches, lastOffset, maxTimestamp)
    } catch (error) {
      // The segment rolled for this append is empty: it goes, so the log is as it was.
      if (closedByRoll !== undefined) this.segments.pop()!.delete()
      throw error
    }
    // Only now is the previous segment closed for good, and so flushed (index entries included).
    if (closedByRoll !== undefined) this.flushClosedSegment(closedByRoll)
    this.sync.noteWrite()
    return { baseOffset, lastOffset, batchCount, recordCount, logEndOffset: nextOffset }
  }

  /**
   * Batches checked by checkBatches are taken as they are (only the size limit is looked at
   * again: the config may have changed since); raw bytes are checked here, the same way.
   */
  private checked(input: Buffer | CheckedBatches): CheckedBatches {
    if (isCheckedBatches(input)) {
      if (input.largestBatchBytes > this.config.maxBatchBytes) {
        throw new RecordBatchTooLargeError({ batchBytes: input.largestBatchBytes, maxBatchBytes: this.config.maxBatchBytes })
      }
      return input
    }
    if (!Buffer.isBuffer(input)) throw new CorruptRecordBatchError({ file: '<input>', position: 0, reason: 'expected the bytes of record batches' })
    const check = checkBatches(input, this.config.maxBatchBytes)
    if (!check.ok) throw check.error
    return check.batches
  }

  /** Resolves when everything appended so far is as durable as the flush policy asks. */
  flushedPerPolicy(): Promise<void> {
    return this.sync.policyBarrier()
  }

  /**
   * Reads whole batches from the one holding `offset`, up to `maxBytes`. Reading at the log end
   * offset returns no bytes; below the log start or past the end is an OffsetOutOfRangeError.
   */
  async read(offset: bigint, options: ReadOptions): Promise<LogReadResult> {
    this.ensureOpen()
    const damage = this.damage
    if (damage !== undefined && offset >= damage.firstOffset && (damage.endOffset === undefined || offset < damage.endOffset)) throw damage
    this.ensureInRange(offset)
    let bytes: Buffer = EMPTY
    // Compaction can leave a segment with nothing at or after `offset`: go on to the next one.
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      let found: ReturnType<LogSegment['read']>
      try {
        found = this.segments[i]!.read(offset, options.maxBytes, options.maxOffset)
      } catch (error) {
        if (!(error instanceof CorruptRecordBatchError)) throw error
        const { file, position, reason } = error
        throw new LogCorruptedError({ dir: this.dir, file, position, reason, firstOffset: offset, endOffset: this.segments[i + 1]?.baseOffset })
      }
      if (found !== undefined) {
        bytes = found.bytes
        break
      }
    }
    return { bytes, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset }
  }

  /** The first offset whose record timestamp is at or after `timestampMs`, or undefined if none. */
  async offsetForTimestamp(timestampMs: number): Promise<bigint | undefined> {
    this.ensureOpen()
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestampMs) continue
      const offset = segment.findOffsetByTimestamp(timestampMs)
      if (offset !== undefined) return offset
    }
    return undefined
  }

  /**
   * Removes every batch whose last offset is at or after `offset`, so the log end offset becomes
   * `offset`, or the base of a batch straddling it (batches are atomic). For replicas whose
   * leader never had those records.
   */
  async truncateTo(offset: bigint): Promise<void> {
    this.ensureOpen()
    if (offset >= this.logEndOffset) return
    if (offset < this.logStartOffset) {
      throw new OffsetOutOfRangeError({ offset, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset })
    }
    await this.sync.drain()
    // Lowered durably first: a crash during the cut must not find the log ending below it.
    this.recoveryPointState.lower(offset)
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      this.segments.pop()!.delete()
    }
    this.active.holdFilesOpen(true)
    // The log ends at `offset` unless a batch straddles it, even where compaction left nothing just
    // below it: offsets in a compaction gap were handed out once and must not be again.
    const end = this.endAfterTruncation(offset)
    this.active.truncateTo(offset)
    if (end !== undefined && this.active.nextOffset < end) this.rollNow(end)
    this.recoveryPointState.lower(this.logEndOffset, false)
    this.sync.noteWrite()
    await this.sync.policyBarrier()
  }

  /** Deletes every segment and starts again, empty, at `offset` (a replica far behind its leader). */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    this.ensureOpen()
    await this.sync.drain()
    this.recoveryPointState.lower(this.logStartOffset)
    for (const segment of this.segments.splice(0)) segment.delete()
    this.segments.push(LogSegment.create(this.dir, offset, this.config.indexIntervalBytes, { fileCache: this.fileCache }))
    this.recoveryPointState.set(offset, true)
  }

  /** Closes the active segment and starts a new one at the log end offset. */
  async roll(): Promise<void> {
    this.ensureOpen()
    if (this.damage !== undefined) throw this.damage
    if (this.active.isEmpty) return
    this.rollNow()
    await this.sync.policyBarrier()
  }

  /** Applies time and size retention: deletes whole old segments and advances the log start. */
  async applyRetention(): Promise<RetentionResult> {
    this.ensureOpen()
    const now = this.nowMs()
    // Never with damage: a segment rolled at the damage would hand its offsets out again.
    if (this.damage === undefined && shouldRollForRetention(this.active, this.config, now)) {
      try {
        this.rollNow()
      } catch (error) {
        // On a full disk retention must still free what it can: the active segment stays for now.
        if (!isOutOfSpace(error)) throw error
      }
    }
    await this.sync.drain()
    const count = segmentsToDelete(this.segments, this.config, now)
    for (const segment of this.segments.splice(0, count)) segment.delete()
    return { deletedSegments: count, logStartOffset: this.logStartOffset }
  }

  /**
   * Compacts the closed segments when the cleanup policy includes 'compact' (see compaction.ts),
   * tombstones expiring by this log's clock. Waits first for fsyncs under way: their segments'
   * files are about to be replaced.
   */
  async compact(): Promise<CompactionResult> {
    this.ensureOpen()
    if (this.damage !== undefined) return { segmentsCleaned: 0, segmentsRemoved: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 }
    await this.sync.drain()
    return compactLog(this, this.nowMs())
  }

  /** Forces everything written so far to disk, whatever the flush policy. */
  async flush(): Promise<void> {
    this.ensureOpen()
    await this.sync.flushNow()
  }

  /**
   * Flushes and closes every file, then records the recovery point and a clean shutdown, so that
   * the next open recovers nothing. A damaged log records neither: the next open must find the
   * damage again. A second close does nothing.
   */
  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.sync.flushNow()
    } finally {
      this.sync.stop()
      this.closed = true
      for (const segment of this.segments) segment.close()
    }
    if (this.damage !== undefined) return
    // Not fsynced itself (the marker's fsyncs are the two a close costs; its directory fsync keeps
    // the rename): should an OS crash lose its bytes, open says so and goes by the marker alone.
    // Likewise the indexes: one an OS crash tore contradicts its log and is rebuilt on open.
    this.recoveryPointState.set(this.logEndOffset, false)
    writeCleanShutdownMarker(this.dir)
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    if (!this.closed) {
      this.sync.stop()
      this.closed = true
      for (const segment of this.segments) segment.close()
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** The segments, oldest first, for compaction and tests; not for appending. */
  segmentsForMaintenance(): readonly LogSegment[] {
    return this.segments
  }

  /**
   * Replaces `count` closed segments from `index` by `replacement`, or removes them (compaction's
   * swap and merge). The caller has already replaced their files.
   */
  replaceSegments(index: number, count: number, replacement?: LogSegment): void {
    if (index < 0 || count < 1 || index + count >= this.segments.length) {
      throw new RangeError(`${this.dir}: cannot replace segments [${index}, ${index + count}) of ${this.segments.length}: the active one stays`)
    }
    if (replacement === undefined) this.segments.splice(index, count)
    else this.segments.splice(index, count, replacement)
  }

  /**
   * Compaction calls this before swapping in a cleaned segment whose offsets are below `offset`,
   * and before its directory fsync: from then on, segments below it may have gaps, whatever the
   * cleanup policy becomes.
   */
  noteCompactedBelow(offset: bigint): void {
    if (offset <= this.compactedBelow) return
    // No fsync of its own: the swap's directory fsync right after keeps the rename, and bytes an
    // OS crash lost read as a damaged checkpoint, which open takes as "any segment may have gaps".
    writeOffsetCheckpoint(this.dir, COMPACTED_BELOW_FILE, offset, false)
    this.compactedBelow = offset
  }

  /**
   * Starts a new active segment when the incoming batches call for it and returns the one it
   * replaced, for the caller to flush once the append went through (or to take back if it failed).
   */
  private rollIfNeeded(incomingBytes: number, lastOffset: bigint, incomingMaxTimestamp: number): LogSegment | undefined {
    const active = this.active
    if (active.isEmpty) return undefined
    const full = active.sizeBytes + incomingBytes > this.config.segmentBytes
    // As in Kafka, a segment's age is measured in record time: from its first batch's timestamp
    // to the incoming batch's, so replaying old data does not roll a segment per batch.
    const old =
      this.config.segmentMs !== -1 &&
      active.firstBatchTimestamp >= 0 &&
      incomingMaxTimestamp - active.firstBatchTimestamp > this.config.segmentMs
    // Index entries hold offsets relative to the segment base as int32.
    const offsetOverflow = lastOffset - active.baseOffset > 2_147_483_647n
    if (!(full || old || offsetOverflow)) return undefined
    this.segments.push(LogSegment.create(this.dir, active.nextOffset, this.config.indexIntervalBytes, { fileCache: this.fileCache }))
    return active
  }

  private rollNow(baseOffset = this.active.nextOffset): void {
    const previous = this.active
    this.segments.push(LogSegment.create(this.dir, baseOffset, this.config.indexIntervalBytes, { fileCache: this.fileCache }))
    // A closed segment is never recovered on open, so it must reach the disk.
    this.flushClosedSegment(previous)
  }

  /**
   * Flushes a segment closed for good (its index entries too); the recovery point passes it only
   * once that flush completed. From then on it holds no descriptor but what the file cache lends.
   */
  private flushClosedSegment(previous: LogSegment): void {
    this.recoveryPointState.closedSegmentUnflushed(previous)
    this.sync.flushClosedSegment({
      flush: async () => {
        await previous.flush()
        this.recoveryPointState.closedSegmentFlushed(previous)
        if (this.segments[this.segments.length - 1] !== previous) this.recoveryPointState.raise(previous.nextOffset)
      },
    })
    // Its syncs have started on the descriptors they need; from now on it opens files on demand.
    previous.holdFilesOpen(false)
  }

  /**
   * Where truncateTo(offset) leaves the log end: `offset`, or the base of the active segment's
   * batch straddling it. Undefined when that batch is corrupt: the log then ends where the valid
   * batches before it do.
   */
  private endAfterTruncation(offset: bigint): bigint | undefined {
    if (offset >= this.active.nextOffset) return offset
    try {
      const found = this.active.read(offset, 0)
      const base = found === undefined ? offset : baseOffsetAt(found.bytes, 0)
      return base < offset ? base : offset
    } catch (error) {
      if (error instanceof CorruptRecordBatchError) return undefined
      throw error
    }
  }

  private segmentIndexFor(offset: bigint): number {
    let low = 0
    let high = this.segments.length - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if (this.segments[mid]!.baseOffset <= offset) low = mid
      else high = mid - 1
    }
    return low
  }

  private ensureInRange(offset: bigint): void {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError({ offset, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset })
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogClosedError({ dir: this.dir })
  }
}

const EMPTY = Buffer.alloc(0)
