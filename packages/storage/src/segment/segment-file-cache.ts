/**
 * SegmentFileCache: the bound on the file descriptors closed segments hold, as Kafka bounds them
 * with lazily mapped indexes. A closed segment's `.log` is opened when it is read and stays open
 * while it is among the `maxOpenFiles` most recently used of the whole process; the least recently
 * used one is closed to make room, and reopened by the next read that needs it. The active
 * segment's files are held outside the cache (resident): appends never wait for an open.
 *
 * A descriptor the cache closes while an fdatasync on it is under way closes when that sync ends
 * (SyncableFd), so for that moment the process may hold a few more than `maxOpenFiles`.
 * When the process runs out of descriptors (EMFILE, ENFILE), an open first gives back idle
 * closed-segment descriptors, then fails with TooManyOpenFilesError naming the file.
 */
import { openSync } from 'node:fs'
import { InvalidLogConfigError, TooManyOpenFilesError } from '../errors.js'
import { SyncableFd } from '../syncable-fd.js'

export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 1_000

// Defined before the class: SegmentFileCache.shared is built as the class is.
const checkedMax = (maxOpenFiles: number): number => {
  if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) {
    throw new InvalidLogConfigError({ key: 'maxOpenFiles', value: maxOpenFiles, reason: 'must be a whole number of at least 1' })
  }
  return maxOpenFiles
}

export class SegmentFileCache {
  /** The cache every Log uses unless it is given another one. */
  static readonly shared = new SegmentFileCache()

  /** Open files, least recently used first (a Set keeps insertion order). */
  private readonly open = new Set<SegmentFile>()
  private newest: SegmentFile | undefined
  private max: number
  private admitted = 0

  constructor(maxOpenFiles: number = DEFAULT_MAX_OPEN_SEGMENT_FILES) {
    this.max = checkedMax(maxOpenFiles)
  }

  /** How many closed-segment files may be open at once in this cache. */
  get maxOpenFiles(): number {
    return this.max
  }

  /** Changes the bound; files beyond it are closed now. */
  set maxOpenFiles(maxOpenFiles: number) {
    this.max = checkedMax(maxOpenFiles)
    while (this.open.size > this.max && this.evictOne());
  }

  /** Closed-segment files open now. */
  get openFileCount(): number {
    return this.open.size
  }

  /** How many times a closed-segment file was opened into this cache: a warm cache opens none. */
  get filesOpened(): number {
    return this.admitted
  }

  /** Closes the least recently used file that is not pinned; false when there is none. */
  evictOne(): boolean {
    for (const file of this.open) {
      if (file.isPinned) continue
      this.forget(file)
      file.evicted()
      return true
    }
    return false
  }

  /** @internal A file just opened outside the active segment. */
  admit(file: SegmentFile): void {
    // Pinned files are never closed under their user, so for that moment the bound may be passed.
    while (this.open.size >= this.max && this.evictOne());
    this.admitted++
    this.open.add(file)
    this.newest = file
  }

  /** @internal A read of `file`: it becomes the most recently used. */
  touch(file: SegmentFile): void {
    if (this.newest === file) return
    this.open.delete(file)
    this.open.add(file)
    this.newest = file
  }

  /** @internal `file` was closed or became resident. */
  forget(file: SegmentFile): void {
    this.open.delete(file)
    if (this.newest === file) this.newest = undefined
  }
}

/**
 * A segment file whose descriptor is held while resident (the active segment) or else through a
 * SegmentFileCache, reopened on demand. Its `fd` is only valid until the next open of another
 * file in the same cache: use it synchronously, as every read and write of a segment does.
 */
export class SegmentFile {
  private handle: SyncableFd | undefined
  private pins = 0
  private closed = false

  private constructor(
    readonly path: string,
    readonly cache: SegmentFileCache,
    private resident: boolean,
  ) {}

  /** Opens `path` (read-write) now, so a missing file fails here. */
  static open(path: string, flags: 'r+' | 'wx+', cache: SegmentFileCache, resident: boolean): SegmentFile {
    const file = new SegmentFile(path, cache, resident)
    file.adopt(openSegmentFile(path, flags, cache))
    return file
  }

  get fd(): number {
    const handle = this.handle
    if (handle === undefined) return this.reopen().fd
    if (!this.resident) this.cache.touch(this)
    return handle.fd
  }

  /**
   * Runs `work` with the descriptor kept open even if `work` opens other files (an index write
   * that meets EMFILE gives back cached descriptors, and must not give back the one `work` uses).
   */
  pinned<T>(work: (fd: number) => T): T {
    const fd = this.fd
    this.pins++
    try {
      return work(fd)
    } finally {
      this.pins--
    }
  }

  get isPinned(): boolean {
    return this.pins > 0
  }

  /** Whether a descriptor is held now. */
  get isOpen(): boolean {
    return this.handle !== undefined
  }

  /** fdatasyncs the file off the event loop (reopening it if the cache had closed it). */
  sync(): Promise<void> {
    const handle = this.handle ?? this.reopen()
    if (!this.resident) this.cache.touch(this)
    return handle.sync()
  }

  /** true: hold the descriptor outside the cache (the active segment); false: hand it to the cache. */
  setResident(resident: boolean): void {
    if (resident === this.resident) return
    this.resident = resident
    if (this.handle === undefined) return
    if (resident) this.cache.forget(this)
    else this.cache.admit(this)
  }

  /** Releases the descriptor for good (after syncs under way). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.cache.forget(this)
    this.handle?.close()
    this.handle = undefined
  }

  /** @internal The cache closed this file to make room. */
  evicted(): void {
    this.handle?.close()
    this.handle = undefined
  }

  private reopen(): SyncableFd {
    if (this.closed) throw new Error(`segment file ${this.path} is closed`)
    return this.adopt(openSegmentFile(this.path, 'r+', this.cache))
  }

  private adopt(fd: number): SyncableFd {
    this.handle = new SyncableFd(fd)
    if (!this.resident) this.cache.admit(this)
    return this.handle
  }
}

/**
 * openSync for the files of segments: when the process is out of descriptors, closes idle files
 * of `cache` one by one and tries again, then throws TooManyOpenFilesError naming `path`.
 */
export const openSegmentFile = (path: string, flags: string, cache: SegmentFileCache): number =>
  withDescriptor(path, cache, () => openSync(path, flags))

/**
 * Runs `work`, which needs a descriptor for `path` (an open, a directory listing); on EMFILE or
 * ENFILE closes an idle file of `cache` and runs it again, until none is left to close.
 */
export const withDescriptor = <T>(path: string, cache: SegmentFileCache, work: () => T): T => {
  for (;;) {
    try {
      return work()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EMFILE' && code !== 'ENFILE') throw error
      if (!cache.evictOne()) {
        throw new TooManyOpenFilesError({ file: path, code, openSegmentFiles: cache.openFileCount, maxOpenSegmentFiles: cache.maxOpenFiles })
      }
    }
  }
}
