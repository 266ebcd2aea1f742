/**
 * LogSegment: one `<baseOffset>.log` of whole RecordBatch v2 batches, appended at the end, plus its
 * sparse OffsetIndex and TimeIndex.
 *
 * Bytes: the `.log` is batches back to back, nothing else; positions are int32 and offsets are
 * stored relative to baseOffset as int32, so the Log rolls before either would overflow (canHold).
 * Edges: batches are atomic: a read returns whole batches (the first one even past maxBytes, so a
 * consumer always progresses), and truncateTo removes a batch straddling the cut entirely.
 * After a crash: open({ recover: true }) scans the whole file, cuts the torn or corrupt tail and
 * rebuilds both indexes; a closed segment trusts its indexes, catches them up from the last
 * offset entry (entries are written in batches, so the newest may be lost), and rebuilds them
 * when they are missing or contradict the log. An invalid batch found in a closed segment is not
 * cut but reported (`corruption`), and no read ever returns it: every batch read is CRC-checked,
 * and its offsets are checked against the segment's base, its end and the batch before it
 * (contiguous, or only increasing where compaction may have left gaps; see batch-walk.ts).
 * A failed write (a full disk): append cuts the `.log` and both indexes back to where they ended
 * before it and throws StorageFullError (or StorageWriteError); the segment takes appends again at
 * once. Index entries are derived data: flush and close keep going when they cannot be written.
 * Descriptors: an active segment holds its three files open (`holdFilesOpen`); a closed one holds
 * none of its indexes (they are in memory) and its `.log` only while the SegmentFileCache keeps it.
 */
import { fstatSync, ftruncateSync, rmSync, writeSync } from 'node:fs'
import { CorruptIndexError, CorruptRecordBatchError, LogClosedError, LogNeedsRecoveryError, TooManyOpenFilesError } from '../errors.js'
import { OffsetIndex } from '../offset-index.js'
import { recoverSegment, scanBatches, type InvalidBatch, type ScanResult } from '../recovery.js'
import {
  BATCH_HEADER_BYTES,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetAt,
  maxTimestampAt,
} from '../record-batch/batch-header.js'
import { TimeIndex } from '../time-index.js'
import {
  checkAppendedBatches,
  checkedWholeBatches,
  findBatchHolding,
  firstOffsetWithTimestamp,
  readBytesAt,
  walkBatchHeaders,
} from './batch-walk.js'
import { NO_TIMESTAMP, SegmentIndexer } from './segment-indexer.js'
import { segmentFilePath } from './segment-files.js'
import { isErrno, writeFailure } from '../write-failure.js'
import { SegmentFile, SegmentFileCache } from './segment-file-cache.js'
import type { IndexFileOptions } from '../index-file.js'

const INT32_MAX = 0x7fffffff

export interface SegmentOpenOptions {
  /** true for the active segment after an unclean stop: scan it all, cut a torn tail, rebuild indexes. */
  readonly recover: boolean
  /**
   * Whether each batch must start right after the previous one's last offset. Default: `recover`
   * (an active segment is never compacted; closed ones may have gaps). Pass false to recover an
   * active segment of a compacted topic whose follower copied the leader's gaps.
   */
  readonly contiguousOffsets?: boolean
  /** Hold the three files open (the active segment) rather than through the cache. Default: `recover`. */
  readonly holdFilesOpen?: boolean
  /** Default: SegmentFileCache.shared. */
  readonly fileCache?: SegmentFileCache
  /** The next segment's base offset: open refuses batches reaching it as corruption. */
  readonly nextSegmentBaseOffset?: bigint
  /**
   * With recover: the offset up to which the log was known flushed. An invalid batch below it is
   * not cut but reported as `corruption`: it was on disk before the crash.
   */
  readonly recoveryPoint?: bigint
}

/** What open({ recover: true }) cut from the end of the `.log`, for the Log to log and report. */
export interface SegmentRecovery {
  /** Where the first invalid batch started: the file's new size. */
  readonly position: number
  readonly truncatedBytes: number
  readonly reason: string
}

export interface SegmentRead {
  /** Whole, CRC-checked batches. */
  readonly bytes: Buffer
  readonly firstBatchPosition: number
  /** Last offset of the last batch in `bytes`. */
  readonly lastOffset: bigint
}

export class LogSegment {
  readonly file: string
  private recoveredValue: SegmentRecovery | undefined
  private indexesRebuiltValue: string | undefined
  private corruptionValue: InvalidBatch | undefined
  private size = 0
  private next: bigint
  private firstTimestamp = NO_TIMESTAMP
  private readonly indexer: SegmentIndexer
  private closed = false
  /** Set when cutting back a failed append failed too: what is on disk is unknown, appends are refused. */
  private unknownState: string | undefined
  private nextSegmentBaseOffset: bigint | undefined

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    readonly indexIntervalBytes: number,
    private readonly logFile: SegmentFile,
    private readonly offsetIndex: OffsetIndex,
    private readonly timeIndex: TimeIndex,
    private readonly contiguousOffsets: boolean,
  ) {
    this.file = segmentFilePath(dir, baseOffset, '.log')
    this.next = baseOffset
    this.indexer = new SegmentIndexer(offsetIndex, timeIndex, indexIntervalBytes)
  }

  /**
   * A new empty segment; refuses (EEXIST) to overwrite an existing `.log`. Its appends must carry
   * contiguous offsets unless `contiguousOffsets` is false (see SegmentOpenOptions).
   */
  static create(
    dir: string,
    baseOffset: bigint,
    indexIntervalBytes: number,
    options: { readonly contiguousOffsets?: boolean; readonly fileCache?: SegmentFileCache } = {},
  ): LogSegment {
    const cache = options.fileCache ?? SegmentFileCache.shared
    const logPath = segmentFilePath(dir, baseOffset, '.log')
    let logFile: SegmentFile
    try {
      logFile = SegmentFile.open(logPath, 'wx+', cache, true)
    } catch (error) {
      throw error instanceof TooManyOpenFilesError ? error : writeFailure(error, logPath, 0)
    }
    let offsetIndex: OffsetIndex | undefined
    try {
      const indexOptions: IndexFileOptions = { holdFd: true, cache }
      offsetIndex = OffsetIndex.create(segmentFilePath(dir, baseOffset, '.index'), baseOffset, indexOptions)
      const timeIndex = TimeIndex.create(segmentFilePath(dir, baseOffset, '.timeindex'), baseOffset, indexOptions)
      const contiguous = options.contiguousOffsets ?? true
      return new LogSegment(dir, baseOffset, indexIntervalBytes, logFile, offsetIndex, timeIndex, contiguous)
    } catch (error) {
      // Nothing is in these files yet: a segment that could not be made whole leaves nothing behind.
      logFile.close()
      offsetIndex?.delete()
      rmSync(logPath, { force: true })
      rmSync(segmentFilePath(dir, baseOffset, '.index'), { force: true })
      throw error instanceof TooManyOpenFilesError ? error : writeFailure(error, dir, 0)
    }
  }

  /**
   * Opens an existing segment (see SegmentOpenOptions, recovered, indexesRebuilt and corruption).
   * A closed segment whose log holds an invalid batch where open looks (after its last index
   * entry, or anywhere when the indexes are rebuilt) is neither cut nor refused: it opens with
   * `corruption` set, serves the batches before it, and throws CorruptRecordBatchError for reads
   * that reach it. The Log decides what to do (e.g. reopen it with recover: true and drop the
   * segments after it, as Kafka does).
   */
  static open(dir: string, baseOffset: bigint, indexIntervalBytes: number, options: SegmentOpenOptions): LogSegment {
    const contiguous = options.contiguousOffsets ?? options.recover
    const indexFile = segmentFilePath(dir, baseOffset, '.index')
    const timeIndexFile = segmentFilePath(dir, baseOffset, '.timeindex')
    const cache = options.fileCache ?? SegmentFileCache.shared
    const hold = options.holdFilesOpen ?? options.recover
    const indexOptions: IndexFileOptions = { holdFd: hold, cache }
    const logFile = SegmentFile.open(segmentFilePath(dir, baseOffset, '.log'), 'r+', cache, hold)
    let indexes: [OffsetIndex, TimeIndex] | undefined
    try {
      let rebuildReason: string | undefined
      if (!options.recover) {
        try {
          indexes = [OffsetIndex.load(indexFile, baseOffset, indexOptions), TimeIndex.load(timeIndexFile, baseOffset, indexOptions)]
        } catch (error) {
          rebuildReason = indexLoadFailure(error)
        }
      }
      if (indexes === undefined) {
        const offsetIndex = OffsetIndex.create(indexFile, baseOffset, indexOptions)
        try {
          indexes = [offsetIndex, TimeIndex.create(timeIndexFile, baseOffset, indexOptions)]
        } catch (error) {
          offsetIndex.close()
          throw error
        }
      }
      const segment = new LogSegment(dir, baseOffset, indexIntervalBytes, logFile, indexes[0], indexes[1], contiguous)
      segment.nextSegmentBaseOffset = options.nextSegmentBaseOffset
      // Scanning the log writes index entries, which may open the index files.
      logFile.pinned((fd) => {
        segment.size = fstatSync(fd).size
        if (options.recover) segment.recover(options.recoveryPoint)
        else if (rebuildReason !== undefined) segment.rebuildIndexes(rebuildReason)
        else segment.catchUpIndexes()
      })
      return segment
    } catch (error) {
      indexes?.[0].close()
      indexes?.[1].close()
      logFile.close()
      throw error
    }
  }

  /** Set when open({ recover: true }) cut a torn or corrupt tail. */
  get recovered(): SegmentRecovery | undefined {
    return this.recoveredValue
  }
  /** Set when open rebuilt the indexes from the log instead of loading them: why. */
  get indexesRebuilt(): string | undefined {
    return this.indexesRebuiltValue
  }
  /**
   * Set when open found an invalid batch in a closed segment (which it does not cut): where and
   * why. nextOffset and maxTimestamp then cover only the batches before it, and appends are refused.
   */
  get corruption(): InvalidBatch | undefined {
    return this.corruptionValue
  }
  get sizeBytes(): number {
    return this.size
  }
  /** Last offset + 1; baseOffset when empty. */
  get nextOffset(): bigint {
    return this.next
  }
  /** Largest batch maxTimestamp; -1 when empty. */
  get maxTimestamp(): number {
    return this.indexer.maxTimestamp
  }
  /** The first batch's maxTimestamp (Kafka's time-based roll reference); -1 when empty. */
  get firstBatchTimestamp(): number {
    return this.firstTimestamp
  }
  get isEmpty(): boolean {
    return this.size === 0
  }
  /** File descriptors this segment holds now (0 to 3). */
  get openFileCount(): number {
    return (this.logFile.isOpen ? 1 : 0) + this.offsetIndex.openFileCount + this.timeIndex.openFileCount
  }
  /** The cache its `.log` goes through when the segment is not active. */
  get fileCache(): SegmentFileCache {
    return this.logFile.cache
  }

  /**
   * true for the active segment: its `.log`, `.index` and `.timeindex` stay open, so appends never
   * wait for an open. false once it is closed: the indexes are released (their entries stay in
   * memory) and the `.log` is handed to the SegmentFileCache, which closes it when idle.
   */
  holdFilesOpen(hold: boolean): void {
    this.ensureOpen()
    // Entries a full disk has no room for stay pending: the index is derived data, caught up at open.
    if (!hold) this.indexer.writeEntriesIfRoom()
    this.logFile.setResident(hold)
    this.offsetIndex.setHoldFd(hold)
    this.timeIndex.setHoldFd(hold)
  }

  /** The `.log`'s descriptor, opened again if the cache closed it: use it synchronously. */
  private get fd(): number {
    return this.logFile.fd
  }

  /** Whether appending `bytes` more bytes ending at `lastOffset` keeps positions and relative offsets in int32. */
  canHold(lastOffset: bigint, bytes: number): boolean {
    return lastOffset - this.baseOffset <= BigInt(INT32_MAX) && this.size + bytes <= INT32_MAX
  }

  /**
   * Appends whole batches whose offsets the Log assigned (each base offset right after, or with
   * contiguousOffsets false past, the previous last offset); `lastOffset` and `maxTimestamp` must
   * be those of the batches' headers. The CRCs are not checked here: the Log checks what it takes in.
   */
  append(batches: Buffer, lastOffset: bigint, maxTimestamp: number): void {
    this.ensureOpen()
    if (batches.length === 0) return
    if (this.corruptionValue !== undefined) throw new CorruptRecordBatchError({ file: this.file, ...this.corruptionValue })
    if (this.unknownState !== undefined) throw new LogNeedsRecoveryError({ dir: this.dir, reason: this.unknownState })
    const headers = checkAppendedBatches(batches, this.next - 1n, this.contiguousOffsets, this.file)
    if (headers.lastOffset !== lastOffset || headers.maxTimestamp !== maxTimestamp) {
      throw new RangeError(
        `${this.file}: append said lastOffset ${lastOffset}, maxTimestamp ${maxTimestamp}; ` +
          `the batches say ${headers.lastOffset}, ${headers.maxTimestamp}`,
      )
    }
    if (!this.canHold(lastOffset, batches.length)) {
      throw new RangeError(`${this.file}: ${batches.length} bytes up to offset ${lastOffset} do not fit; roll a new segment`)
    }
    const start = this.size
    const indexesBefore = this.indexer.checkpoint()
    try {
      for (let written = 0; written < batches.length; ) {
        written += writeSync(this.fd, batches, written, batches.length - written, start + written)
      }
      for (let at = 0; at < batches.length; at += batchSizeAt(batches, at)) {
        const relativeOffset = Number(baseOffsetAt(batches, at) - this.baseOffset)
        this.indexer.onBatch(start + at, relativeOffset, maxTimestampAt(batches, at), batchSizeAt(batches, at))
      }
      this.indexer.writeEntriesIfMany()
    } catch (error) {
      // A rejected batch leaves nothing behind: not a partial batch, not an index entry for it.
      try {
        ftruncateSync(this.fd, start)
        this.indexer.rollBackTo(indexesBefore)
      } catch (cutError) {
        this.unknownState = `cutting ${this.file} back to ${start} bytes after a failed append failed: ${String(cutError)}`
        throw new LogNeedsRecoveryError({ dir: this.dir, reason: this.unknownState })
      }
      throw writeFailure(error, this.file, batches.length)
    }
    if (start === 0) this.firstTimestamp = maxTimestampAt(batches, 0)
    this.size = start + batches.length
    this.next = lastOffset + 1n
  }

  /**
   * Whole batches from the one holding `startOffset` (or the first after it, across a compaction
   * gap), up to `maxBytes` in all but never fewer than that first batch, and only batches whose
   * last offset is below `maxOffsetExclusive`. Every batch returned has passed checkBatchAt; a bad
   * one throws CorruptRecordBatchError, and so does a read at or past nextOffset of a segment with
   * a known `corruption` (its offsets may be in there). Otherwise undefined when startOffset >=
   * nextOffset or no batch qualifies.
   */
  read(startOffset: bigint, maxBytes: number, maxOffsetExclusive?: bigint): SegmentRead | undefined {
    this.ensureOpen()
    if (startOffset >= this.next) {
      if (this.corruptionValue !== undefined) throw new CorruptRecordBatchError({ file: this.file, ...this.corruptionValue })
      return undefined
    }
    const target = startOffset < this.baseOffset ? this.baseOffset : startOffset
    const entry = this.offsetIndex.lookup(Number(target - this.baseOffset))
    const rules = { segmentBaseOffset: this.baseOffset, contiguous: this.contiguousOffsets, endOffsetExclusive: this.next }
    const entryAt = { position: entry.position, baseOffset: this.baseOffset + BigInt(entry.relativeOffset) }
    const found = findBatchHolding(this.fd, this.file, entryAt, this.size, target, rules)
    if (found === undefined) return undefined
    const first = found.position
    const bytes = readBytesAt(this.fd, first, Math.min(this.size - first, Math.max(maxBytes, found.sizeBytes)))
    const taken = checkedWholeBatches(bytes, this.file, first, maxOffsetExclusive, rules)
    return taken.length === 0
      ? undefined
      : { bytes: bytes.subarray(0, taken.length), firstBatchPosition: first, lastOffset: taken.lastOffset }
  }

  /** The first offset whose record timestamp is >= `timestamp`; undefined when no record is that new. */
  findOffsetByTimestamp(timestamp: number): bigint | undefined {
    this.ensureOpen()
    if (this.size === 0 || this.indexer.maxTimestamp < timestamp) return undefined
    const entry = this.timeIndex.lookup(timestamp)
    let position = entry === undefined ? 0 : this.offsetIndex.lookup(entry.relativeOffset).position
    for (;;) {
      let size = 0
      position = walkBatchHeaders(this.fd, this.file, position, this.size, (buf, at) => {
        size = batchSizeAt(buf, at)
        return maxTimestampAt(buf, at) >= timestamp
      })
      if (position < 0) return undefined
      const found = firstOffsetWithTimestamp(readBytesAt(this.fd, position, size), this.file, position, timestamp)
      if (found !== undefined) return found
      position += size
    }
  }

  /**
   * Removes every batch whose last offset is >= `offset` and their index entries; returns bytes
   * removed. At or past nextOffset it removes only a known `corruption` and what follows it.
   */
  truncateTo(offset: bigint): number {
    this.ensureOpen()
    return this.logFile.pinned(() => this.truncatePinned(offset))
  }

  private truncatePinned(offset: bigint): number {
    let cut = 0
    let cutRelativeOffset = 0
    if (offset >= this.next) {
      if (this.corruptionValue === undefined) return 0
      cut = this.corruptionValue.position
      cutRelativeOffset = Number(this.next - this.baseOffset)
    } else if (offset > this.baseOffset) {
      const from = this.offsetIndex.lookup(Number(offset - this.baseOffset)).position
      cut = walkBatchHeaders(this.fd, this.file, from, this.size, (buf, at) => {
        cutRelativeOffset = Number(baseOffsetAt(buf, at) - this.baseOffset)
        return lastOffsetAt(buf, at) >= offset
      })
    }
    const removed = this.size - cut
    ftruncateSync(this.fd, cut)
    this.size = cut
    this.offsetIndex.truncateToPosition(cut)
    this.timeIndex.truncateToEntriesBefore(cutRelativeOffset)
    this.catchUpIndexes()
    return removed
  }

  /** fdatasyncs the log and both indexes, off the event loop. */
  async flush(): Promise<void> {
    this.ensureOpen()
    this.indexer.writeEntriesIfRoom()
    await Promise.all([this.flushData(), this.timeIndex.flush(), this.offsetIndex.flush()])
  }

  /**
   * fdatasync of the `.log` only: enough for an append to be durable, because the active segment's
   * indexes are rebuilt from the log by recovery. `flush()` (all three files) is for closed segments.
   */
  async flushData(): Promise<void> {
    this.ensureOpen()
    await this.logFile.sync()
  }

  /** Writes buffered index entries and releases the files; no fsync (flush first when that matters). */
  close(): void {
    if (this.closed) return
    this.indexer.writeEntriesIfRoom()
    // Each index releases its file even when its last entries cannot be written (a full disk):
    // they are found missing at open and caught up from the log.
    for (const index of [this.timeIndex, this.offsetIndex]) {
      try {
        index.close()
      } catch (error) {
        if (!isErrno(error)) throw error
      }
    }
    this.release()
  }

  /** Closes and removes the `.log`, `.index` and `.timeindex` files. */
  delete(): void {
    if (!this.closed) this.release()
    this.offsetIndex.delete()
    this.timeIndex.delete()
    rmSync(this.file, { force: true })
  }

  private release(): void {
    this.closed = true
    this.logFile.close()
  }

  private recover(recoveryPoint: bigint | undefined): void {
    const result = recoverSegment(this.fd, {
      segmentBaseOffset: this.baseOffset,
      contiguous: this.contiguousOffsets,
      indexer: this.indexer,
      recoveryPoint,
    })
    if (result.damagedBelowRecoveryPoint) return this.adoptScan(result)
    if (result.invalid !== undefined) {
      this.recoveredValue = { ...result.invalid, truncatedBytes: result.truncatedBytes }
    }
    this.size = result.validEndPosition
    this.adoptScan({ ...result, invalid: undefined })
  }

  private catchUpIndexes(): void {
    const lastEntry = this.offsetIndex.lastEntry()
    if (lastEntry.position >= this.size && this.offsetIndex.entryCount > 0) {
      return this.rebuildIndexes(`${this.offsetIndex.file}: entry at position ${lastEntry.position} is past the log's end ${this.size}`)
    }
    const tail = this.scanTail()
    // An entry that does not lead to a valid batch is the index's fault; a bad batch after valid ones is the log's.
    if (tail.invalid !== undefined && tail.batchCount === 0 && this.offsetIndex.entryCount > 0) {
      const reason = `${this.offsetIndex.file}: entry (${lastEntry.relativeOffset}, ${lastEntry.position}) leads to an invalid batch: ${tail.invalid.reason}`
      return this.rebuildIndexes(reason)
    }
    const lastTimeEntry = this.timeIndex.lastEntry()
    const lastRelativeOffset = tail.lastOffset === undefined ? -1 : Number(tail.lastOffset - this.baseOffset)
    if (lastTimeEntry !== undefined && lastTimeEntry.relativeOffset > lastRelativeOffset) {
      return this.rebuildIndexes(`${this.timeIndex.file}: entry at relative offset ${lastTimeEntry.relativeOffset} is past the log's last ${lastRelativeOffset}`)
    }
    this.adoptScan(tail)
  }

  private rebuildIndexes(reason: string): void {
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.indexesRebuiltValue = reason
    this.adoptScan(this.scanTail())
  }

  /** Feeds the indexer every batch from the last offset index entry (or 0) to the end of the log. */
  private scanTail(): ScanResult {
    this.indexer.resumeFromIndexes()
    const entries = this.offsetIndex.entryCount
    const last = this.offsetIndex.lastEntry()
    return scanBatches(this.fd, {
      segmentBaseOffset: this.baseOffset,
      fromPosition: last.position,
      endPosition: this.size,
      firstBaseOffset: entries > 0 || this.contiguousOffsets ? this.baseOffset + BigInt(last.relativeOffset) : undefined,
      contiguous: this.contiguousOffsets,
      endOffsetExclusive: this.nextSegmentBaseOffset,
      onBatch: (batch) => {
        this.indexer.onBatch(batch.position, Number(batch.baseOffset - this.baseOffset), batch.maxTimestamp, batch.sizeBytes)
        this.indexer.writeEntriesIfManyAndRoom()
      },
    })
  }

  /** Takes nextOffset, firstBatchTimestamp and corruption from a scan to the log's end (or its first invalid batch). */
  private adoptScan(result: ScanResult): void {
    this.indexer.writeEntriesIfRoom()
    this.corruptionValue = result.invalid
    this.next = result.lastOffset === undefined ? this.baseOffset : result.lastOffset + 1n
    const hasBatches = this.next !== this.baseOffset
    this.firstTimestamp = hasBatches ? maxTimestampAt(readBytesAt(this.fd, 0, BATCH_HEADER_BYTES), 0) : NO_TIMESTAMP
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogClosedError({ dir: this.file })
  }
}

/** Why loading an index failed, when that is a reason to rebuild it; anything else is rethrown. */
const indexLoadFailure = (error: unknown): string => {
  if (error instanceof CorruptIndexError) return error.message
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `missing ${(error as NodeJS.ErrnoException).path}`
  throw error
}
