/**
 * The storage both sparse indexes share: fixed-size entries kept in one in-memory Buffer laid out
 * exactly as the file, appended to the file in batches (writePending, flush, close) rather than one
 * write per entry. Losing unwritten entries in a crash is harmless: the segment finds the index
 * short and catches it up from the log.
 *
 * Descriptors: the active segment's indexes hold theirs (`holdFd`); a closed segment's indexes are
 * read once into memory and open their file only for the rare write (a rebuild at open, a flush),
 * closing it again right after, so closed segments cost no index descriptor.
 */
import { closeSync, ftruncateSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { CorruptIndexError } from './errors.js'
import { openSegmentFile, SegmentFileCache } from './segment/segment-file-cache.js'
import { SyncableFd } from './syncable-fd.js'
import { isErrno } from './write-failure.js'

const INITIAL_CAPACITY_ENTRIES = 64

/** Where an index stood, in memory and on disk, before an append that may have to be undone. */
export interface IndexCheckpoint {
  readonly entryCount: number
  readonly entriesOnDisk: number
}

export interface IndexFileOptions {
  /** Keep the file open between writes (the active segment); otherwise open it per write. */
  readonly holdFd: boolean
  /** Whose idle descriptors an open gives back when the process has none left. */
  readonly cache: SegmentFileCache
}

/** An index that keeps its file open, giving back descriptors of the shared cache when out of them. */
export const HELD_INDEX_FILE: IndexFileOptions = { holdFd: true, cache: SegmentFileCache.shared }

export class IndexFile {
  /** Entries [0, entryCount) as they are (or will be) on disk; capacity beyond is scratch. */
  entries: Buffer
  entryCount: number
  private entriesOnDisk: number
  private fd: SyncableFd | undefined
  private holdFd: boolean
  /** Bytes were handed to the OS since the last completed fdatasync. */
  private unsynced = false
  private closed = false

  private constructor(
    readonly file: string,
    readonly entryBytes: number,
    entries: Buffer,
    entryCount: number,
    fd: number | undefined,
    private readonly options: IndexFileOptions,
  ) {
    this.entries = entries
    this.entryCount = entryCount
    this.entriesOnDisk = entryCount
    this.holdFd = options.holdFd
    this.fd = fd === undefined ? undefined : new SyncableFd(fd)
    if (fd !== undefined) {
      this.unsynced = true
      this.releaseIfNotHeld()
    }
  }

  /** A new empty index file; an old file of that name is emptied (an index is derived data). */
  static create(file: string, entryBytes: number, options: IndexFileOptions): IndexFile {
    const fd = openSegmentFile(file, 'w+', options.cache)
    return new IndexFile(file, entryBytes, Buffer.alloc(INITIAL_CAPACITY_ENTRIES * entryBytes), 0, fd, options)
  }

  /** Reads the whole file; the caller validates the entries. The file is opened again only to write. */
  static load(file: string, entryBytes: number, options: IndexFileOptions): IndexFile {
    const fd = openSegmentFile(file, 'r', options.cache)
    let bytes: Buffer
    try {
      bytes = readFileSync(fd)
    } finally {
      closeSync(fd)
    }
    if (bytes.length % entryBytes !== 0) {
      throw new CorruptIndexError({
        file,
        reason: `size ${bytes.length} bytes is not a multiple of the ${entryBytes}-byte entry`,
      })
    }
    return new IndexFile(file, entryBytes, bytes, bytes.length / entryBytes, undefined, options)
  }

  /** Descriptors this index holds now: 0 or 1. */
  get openFileCount(): number {
    return this.fd === undefined ? 0 : 1
  }

  /** Makes room for one more entry and returns the byte position to write it at. */
  reserveEntry(): number {
    this.ensureOpen()
    const at = this.entryCount * this.entryBytes
    if (at + this.entryBytes > this.entries.length) {
      const grown = Buffer.alloc(Math.max(2 * this.entries.length, INITIAL_CAPACITY_ENTRIES * this.entryBytes))
      this.entries.copy(grown, 0, 0, at)
      this.entries = grown
    }
    this.entryCount++
    return at
  }

  get pendingEntryCount(): number {
    return this.entryCount - this.entriesOnDisk
  }

  /** Drops entries [count, entryCount), from memory and from the file. */
  truncateToEntries(count: number): void {
    this.ensureOpen()
    if (count >= this.entryCount) return
    this.entryCount = count
    if (this.entriesOnDisk > count) {
      ftruncateSync(this.writableFd(), count * this.entryBytes)
      this.entriesOnDisk = count
      this.unsynced = true
      this.releaseIfNotHeld()
    }
  }

  /**
   * Hands entries not yet written to the OS (no fsync). A failed write (a full disk) is cut back
   * off the file and rethrown: the entries stay pending, the file ends on a whole entry.
   */
  writePending(): void {
    this.ensureOpen()
    if (this.entriesOnDisk === this.entryCount) return
    const from = this.entriesOnDisk * this.entryBytes
    const length = (this.entryCount - this.entriesOnDisk) * this.entryBytes
    const fd = this.writableFd()
    let written = 0
    try {
      while (written < length) {
        written += writeSync(fd, this.entries, from + written, length - written, from + written)
      }
    } catch (error) {
      try {
        if (written > 0) ftruncateSync(fd, from)
      } finally {
        this.releaseIfNotHeld()
      }
      throw error
    }
    this.entriesOnDisk = this.entryCount
    this.unsynced = true
    this.releaseIfNotHeld()
  }

  checkpoint(): IndexCheckpoint {
    return { entryCount: this.entryCount, entriesOnDisk: this.entriesOnDisk }
  }

  /** Undoes everything since `checkpoint` (entries added, entries written): memory and file as they were. */
  rollBackTo(checkpoint: IndexCheckpoint): void {
    this.ensureOpen()
    if (this.entriesOnDisk > checkpoint.entriesOnDisk) {
      ftruncateSync(this.writableFd(), checkpoint.entriesOnDisk * this.entryBytes)
      this.entriesOnDisk = checkpoint.entriesOnDisk
      this.unsynced = true
      this.releaseIfNotHeld()
    }
    this.entryCount = Math.min(this.entryCount, checkpoint.entryCount)
  }

  /**
   * Writes pending entries and fdatasyncs the file without blocking the event loop. Entries that
   * find no room (a full disk) stay pending for a later write: what is on disk is still whole
   * entries, and an index short of some is caught up from the log at open.
   */
  async flush(): Promise<void> {
    try {
      this.writePending()
    } catch (error) {
      if (!isErrno(error)) throw error
    }
    if (!this.unsynced) return
    // fdatasync covers the file, whichever descriptor wrote it: a released one is reopened for it.
    const fd = this.fd ?? new SyncableFd(openSegmentFile(this.file, 'r+', this.options.cache))
    this.unsynced = false
    try {
      await fd.sync()
    } catch (error) {
      this.unsynced = true
      throw error
    } finally {
      if (fd !== this.fd) fd.close()
    }
  }

  /** true: keep the file open between writes (the active segment); false: close it now and after each write. */
  setHoldFd(hold: boolean): void {
    this.holdFd = hold
    this.releaseIfNotHeld()
  }

  /** Writes pending entries (no fsync: call flush first when that matters) and releases the file. */
  close(): void {
    if (this.closed) return
    try {
      this.writePending()
    } finally {
      this.closed = true
      this.fd?.close()
      this.fd = undefined
    }
  }

  /** Closes without writing and removes the file. */
  delete(): void {
    if (!this.closed) {
      this.closed = true
      this.fd?.close()
      this.fd = undefined
    }
    rmSync(this.file, { force: true })
  }

  private writableFd(): number {
    this.fd ??= new SyncableFd(openSegmentFile(this.file, 'r+', this.options.cache))
    return this.fd.fd
  }

  /** A descriptor under a sync closes when the sync ends (SyncableFd). */
  private releaseIfNotHeld(): void {
    if (this.holdFd || this.fd === undefined) return
    this.fd.close()
    this.fd = undefined
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error(`index ${this.file} is closed`)
  }
}
