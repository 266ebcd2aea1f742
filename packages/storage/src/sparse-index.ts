/**
 * What the offset and time indexes share: an IndexFile of fixed-size entries sorted on every
 * field, its file lifecycle, and the one binary search both use.
 */
import type { IndexCheckpoint, IndexFile } from './index-file.js'

export abstract class SparseIndex {
  protected constructor(
    protected readonly index: IndexFile,
    readonly baseOffset: bigint,
  ) {}

  get file(): string {
    return this.index.file
  }

  get entryCount(): number {
    return this.index.entryCount
  }

  get pendingEntryCount(): number {
    return this.index.pendingEntryCount
  }

  /** Removes every entry. */
  reset(): void {
    this.index.truncateToEntries(0)
  }

  /** Descriptors the index holds now: 0 or 1. */
  get openFileCount(): number {
    return this.index.openFileCount
  }

  /** Keep the file open between writes (the active segment), or open it only to write. */
  setHoldFd(hold: boolean): void {
    this.index.setHoldFd(hold)
  }

  writePending(): void {
    this.index.writePending()
  }

  checkpoint(): IndexCheckpoint {
    return this.index.checkpoint()
  }

  rollBackTo(checkpoint: IndexCheckpoint): void {
    this.index.rollBackTo(checkpoint)
  }

  flush(): Promise<void> {
    return this.index.flush()
  }

  close(): void {
    this.index.close()
  }

  delete(): void {
    this.index.delete()
  }

  /**
   * How many leading entries satisfy `isBefore`: entries are sorted, so the ones that do come
   * first. The binary search behind every lookup and truncation.
   */
  protected countWhere(isBefore: (entry: number) => boolean): number {
    let low = 0
    let high = this.index.entryCount
    while (low < high) {
      const middle = (low + high) >>> 1
      if (isBefore(middle)) low = middle + 1
      else high = middle
    }
    return low
  }
}
