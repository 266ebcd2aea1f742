/**
 * TimeIndex: the sparse map from timestamp to offset in one segment, stored in
 * `<baseOffset>.timeindex`.
 *
 *   entry (12 bytes, big-endian): timestamp int64 (ms) | relativeOffset int32 (offset - segment base)
 *
 * Kafka's rule: an entry is added only when the segment's max timestamp so far has grown past the
 * last entry's, and it names the batch where that max was first reached. So timestamps and offsets
 * both increase strictly, and every record before an entry's batch is older than its timestamp.
 * Entries are written in batches; after a crash a short or garbage file is caught up or rebuilt
 * from the log by the segment.
 */
import { CorruptIndexError } from './errors.js'
import { HELD_INDEX_FILE, IndexFile, type IndexFileOptions } from './index-file.js'
import { SparseIndex } from './sparse-index.js'

export const TIME_INDEX_ENTRY_BYTES = 12

export interface TimestampOffset {
  readonly timestamp: number
  readonly relativeOffset: number
}

const TWO_POW_32 = 4294967296

export class TimeIndex extends SparseIndex {
  private constructor(index: IndexFile, baseOffset: bigint) {
    super(index, baseOffset)
  }

  static create(file: string, baseOffset: bigint, options: IndexFileOptions = HELD_INDEX_FILE): TimeIndex {
    return new TimeIndex(IndexFile.create(file, TIME_INDEX_ENTRY_BYTES, options), baseOffset)
  }

  /** Reads and checks `file`; throws CorruptIndexError naming the file and the offending entries. */
  static load(file: string, baseOffset: bigint, options: IndexFileOptions = HELD_INDEX_FILE): TimeIndex {
    const index = IndexFile.load(file, TIME_INDEX_ENTRY_BYTES, options)
    const timeIndex = new TimeIndex(index, baseOffset)
    let previousTimestamp = -Infinity
    let previousOffset = -1
    for (let i = 0; i < index.entryCount; i++) {
      const timestamp = timeIndex.timestampAt(i)
      const relativeOffset = timeIndex.relativeOffsetAt(i)
      if (timestamp <= previousTimestamp || relativeOffset <= previousOffset) {
        throw new CorruptIndexError({
          file,
          reason:
            `entry ${i} (timestamp ${timestamp}, relative offset ${relativeOffset}) does not follow ` +
            `entry ${i - 1} (timestamp ${previousTimestamp}, relative offset ${previousOffset})`,
        })
      }
      previousTimestamp = timestamp
      previousOffset = relativeOffset
    }
    return timeIndex
  }

  timestampAt(entry: number): number {
    const at = entry * TIME_INDEX_ENTRY_BYTES
    return this.index.entries.readInt32BE(at) * TWO_POW_32 + this.index.entries.readUInt32BE(at + 4)
  }

  relativeOffsetAt(entry: number): number {
    return this.index.entries.readInt32BE(entry * TIME_INDEX_ENTRY_BYTES + 8)
  }

  lastEntry(): TimestampOffset | undefined {
    const count = this.index.entryCount
    return count === 0 ? undefined : this.entryAt(count - 1)
  }

  /** Appends (timestamp, relativeOffset) if `timestamp` is newer than the last entry's; says whether it did. */
  maybeAppend(timestamp: number, relativeOffset: number): boolean {
    const count = this.index.entryCount
    if (count > 0 && timestamp <= this.timestampAt(count - 1)) return false
    if (count > 0 && relativeOffset <= this.relativeOffsetAt(count - 1)) {
      throw new RangeError(
        `time index ${this.file}: entry (${timestamp}, ${relativeOffset}) does not follow ` +
          `(${this.timestampAt(count - 1)}, ${this.relativeOffsetAt(count - 1)})`,
      )
    }
    if (relativeOffset < 0 || relativeOffset > 0x7fffffff || !Number.isSafeInteger(timestamp)) {
      throw new RangeError(`time index ${this.file}: entry (${timestamp}, ${relativeOffset}) is out of range`)
    }
    const at = this.index.reserveEntry()
    const high = Math.floor(timestamp / TWO_POW_32)
    this.index.entries.writeInt32BE(high, at)
    this.index.entries.writeUInt32BE(timestamp - high * TWO_POW_32, at + 4)
    this.index.entries.writeInt32BE(relativeOffset, at + 8)
    return true
  }

  /** The last entry whose timestamp is <= `timestamp`, or undefined when every entry is newer. */
  lookup(timestamp: number): TimestampOffset | undefined {
    const found = this.countWhere((entry) => this.timestampAt(entry) <= timestamp)
    return found === 0 ? undefined : this.entryAt(found - 1)
  }

  /** Removes every entry whose relative offset is >= `relativeOffset`. */
  truncateToEntriesBefore(relativeOffset: number): void {
    this.index.truncateToEntries(this.countWhere((entry) => this.relativeOffsetAt(entry) < relativeOffset))
  }

  private entryAt(entry: number): TimestampOffset {
    return { timestamp: this.timestampAt(entry), relativeOffset: this.relativeOffsetAt(entry) }
  }
}
