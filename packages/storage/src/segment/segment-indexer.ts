/**
 * The one rule deciding where a segment's sparse index entries go, shared by append, recovery and
 * the catch-up scan at open, so that an index rebuilt from the log is the index appends would have
 * written.
 *
 * A batch gets an entry when at least indexIntervalBytes were added since the last entry and it
 * does not start at position 0 (lookup's implied entry) or at the last entry's position (the batch
 * a resumed scan starts on). The offset entry names the batch start; the time entry, added at the
 * same moment if the max timestamp grew, names the batch where that max was first reached.
 */
import type { IndexCheckpoint } from '../index-file.js'
import type { OffsetIndex } from '../offset-index.js'
import type { TimeIndex } from '../time-index.js'
import { isErrno } from '../write-failure.js'

/** The indexer and both indexes as they were before an append, to undo it when the append fails. */
export interface IndexerCheckpoint {
  readonly bytesSinceLastEntry: number
  readonly maxTimestamp: number
  readonly offsetOfMaxTimestamp: number
  readonly offsetIndex: IndexCheckpoint
  readonly timeIndex: IndexCheckpoint
}

/** Kafka's "no timestamp"; a max timestamp at or below it never makes a time index entry. */
export const NO_TIMESTAMP = -1

export class SegmentIndexer {
  private bytesSinceLastEntry = 0
  maxTimestamp: number = NO_TIMESTAMP
  /** Relative base offset of the batch that first reached maxTimestamp; -1 when none has. */
  offsetOfMaxTimestamp = -1

  constructor(
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    readonly indexIntervalBytes: number,
  ) {
    this.resumeFromIndexes()
  }

  /**
   * Restarts the rule as of the last offset index entry: the caller then feeds every batch from
   * that entry's position (or from 0 when there is none) to the end of the log.
   */
  resumeFromIndexes(): void {
    this.bytesSinceLastEntry = 0
    const last = this.timeIndex.lastEntry()
    this.maxTimestamp = last === undefined ? NO_TIMESTAMP : last.timestamp
    this.offsetOfMaxTimestamp = last === undefined ? -1 : last.relativeOffset
  }

  onBatch(position: number, relativeBaseOffset: number, maxTimestamp: number, sizeBytes: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp
      this.offsetOfMaxTimestamp = relativeBaseOffset
    }
    const entries = this.offsetIndex.entryCount
    const lastEntryPosition = entries === 0 ? 0 : this.offsetIndex.positionAt(entries - 1)
    if (this.bytesSinceLastEntry >= this.indexIntervalBytes && position > lastEntryPosition) {
      if (this.maxTimestamp > NO_TIMESTAMP) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp)
      this.offsetIndex.append(relativeBaseOffset, position)
      this.bytesSinceLastEntry = 0
    }
    this.bytesSinceLastEntry += sizeBytes
  }

  /**
   * Hands buffered entries to the OS once enough have piled up. The time index goes first, so a
   * process crash never leaves an offset entry on disk without the time entry taken with it (the
   * max timestamp a closed segment reports at open relies on that).
   */
  writeEntriesIfMany(): void {
    if (this.offsetIndex.pendingEntryCount >= ENTRIES_PER_WRITE) this.writeEntries()
  }

  checkpoint(): IndexerCheckpoint {
    return {
      bytesSinceLastEntry: this.bytesSinceLastEntry,
      maxTimestamp: this.maxTimestamp,
      offsetOfMaxTimestamp: this.offsetOfMaxTimestamp,
      offsetIndex: this.offsetIndex.checkpoint(),
      timeIndex: this.timeIndex.checkpoint(),
    }
  }

  /** Back to `checkpoint`: the entries an undone append added are gone from memory and files. */
  rollBackTo(checkpoint: IndexerCheckpoint): void {
    this.timeIndex.rollBackTo(checkpoint.timeIndex)
    this.offsetIndex.rollBackTo(checkpoint.offsetIndex)
    this.bytesSinceLastEntry = checkpoint.bytesSinceLastEntry
    this.maxTimestamp = checkpoint.maxTimestamp
    this.offsetOfMaxTimestamp = checkpoint.offsetOfMaxTimestamp
  }

  /**
   * writeEntriesIfMany / writeEntries for every path but append (open, recovery, flush, close): on
   * a full disk the entries stay buffered for a later write, and an index found short at open is
   * caught up from the log. Append must fail instead, so that it can be cut back whole.
   */
  writeEntriesIfManyAndRoom(): void {
    if (this.offsetIndex.pendingEntryCount >= ENTRIES_PER_WRITE) this.writeEntriesIfRoom()
  }

  writeEntriesIfRoom(): void {
    try {
      this.writeEntries()
    } catch (error) {
      if (!isErrno(error)) throw error
    }
  }

  writeEntries(): void {
    this.timeIndex.writePending()
    this.offsetIndex.writePending()
  }
}

/** 512 offset entries: one 4 KiB write. */
const ENTRIES_PER_WRITE = 512
