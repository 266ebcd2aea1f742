/**
 * OffsetIndex: the sparse map from offset to byte position in one segment's `.log`, stored in
 * `<baseOffset>.index`.
 *
 *   entry (8 bytes, big-endian): relativeOffset int32 (offset - segment base) | position int32
 *
 * Each entry names a batch start: the batch at `position` has base offset `base + relativeOffset`.
 * Entries increase strictly in both fields. No entry is stored for position 0; lookup answers
 * (0, 0) when no entry is at or below the target. After a crash the file may miss its newest
 * entries (they are written in batches) or be garbage; the segment then catches up or rebuilds it
 * from the log, so nothing here is ever the only copy of a fact.
 */
import { CorruptIndexError } from './errors.js'
import { HELD_INDEX_FILE, IndexFile, type IndexFileOptions } from './index-file.js'
import { SparseIndex } from './sparse-index.js'

export const OFFSET_INDEX_ENTRY_BYTES = 8

export interface OffsetPosition {
  readonly relativeOffset: number
  readonly position: number
}

export class OffsetIndex extends SparseIndex {
  private constructor(index: IndexFile, baseOffset: bigint) {
    super(index, baseOffset)
  }

  static create(file: string, baseOffset: bigint, options: IndexFileOptions = HELD_INDEX_FILE): OffsetIndex {
    return new OffsetIndex(IndexFile.create(file, OFFSET_INDEX_ENTRY_BYTES, options), baseOffset)
  }

  /** Reads and checks `file`; throws CorruptIndexError naming the file and the offending entries. */
  static load(file: string, baseOffset: bigint, options: IndexFileOptions = HELD_INDEX_FILE): OffsetIndex {
    const index = IndexFile.load(file, OFFSET_INDEX_ENTRY_BYTES, options)
    const entries = index.entries
    let previousOffset = -1
    let previousPosition = -1
    for (let i = 0; i < index.entryCount; i++) {
      const relativeOffset = entries.readInt32BE(i * 8)
      const position = entries.readInt32BE(i * 8 + 4)
      if (relativeOffset <= previousOffset || position <= previousPosition) {
        throw new CorruptIndexError({
          file,
          reason:
            `entry ${i} (relative offset ${relativeOffset}, position ${position}) does not follow ` +
            `entry ${i - 1} (relative offset ${previousOffset}, position ${previousPosition})`,
        })
      }
      previousOffset = relativeOffset
      previousPosition = position
    }
    return new OffsetIndex(index, baseOffset)
  }

  relativeOffsetAt(entry: number): number {
    return this.index.entries.readInt32BE(entry * 8)
  }

  positionAt(entry: number): number {
    return this.index.entries.readInt32BE(entry * 8 + 4)
  }

  /** The newest entry, or (0, 0) when there is none. */
  lastEntry(): OffsetPosition {
    const count = this.index.entryCount
    return count === 0 ? { relativeOffset: 0, position: 0 } : this.entryAt(count - 1)
  }

  append(relativeOffset: number, position: number): void {
    const count = this.index.entryCount
    if (count > 0 && (relativeOffset <= this.relativeOffsetAt(count - 1) || position <= this.positionAt(count - 1))) {
      throw new RangeError(
        `offset index ${this.file}: entry (${relativeOffset}, ${position}) does not follow ` +
          `(${this.relativeOffsetAt(count - 1)}, ${this.positionAt(count - 1)})`,
      )
    }
    if (relativeOffset < 0 || relativeOffset > 0x7fffffff || position < 0 || position > 0x7fffffff) {
      throw new RangeError(`offset index ${this.file}: entry (${relativeOffset}, ${position}) is outside int32`)
    }
    const at = this.index.reserveEntry()
    this.index.entries.writeInt32BE(relativeOffset, at)
    this.index.entries.writeInt32BE(position, at + 4)
  }

  /** The last entry whose relative offset is <= `relativeOffset`; (0, 0) when none is. */
  lookup(relativeOffset: number): OffsetPosition {
    const found = this.lastEntryAtOrBelow(relativeOffset)
    return found < 0 ? { relativeOffset: 0, position: 0 } : this.entryAt(found)
  }

  /** Removes every entry whose relative offset is >= `relativeOffset`. */
  truncateToEntriesBefore(relativeOffset: number): void {
    this.index.truncateToEntries(this.lastEntryAtOrBelow(relativeOffset - 1) + 1)
  }

  /** Removes every entry whose position is >= `position` (the log is being cut there). */
  truncateToPosition(position: number): void {
    this.index.truncateToEntries(this.countWhere((entry) => this.positionAt(entry) < position))
  }

  private entryAt(entry: number): OffsetPosition {
    return { relativeOffset: this.relativeOffsetAt(entry), position: this.positionAt(entry) }
  }

  /** Index of the last entry with relative offset <= target, or -1. */
  private lastEntryAtOrBelow(target: number): number {
    return this.countWhere((entry) => this.relativeOffsetAt(entry) <= target) - 1
  }
}
