/** The file a cleaned segment is written to (`<base>.log.cleaned`) before it is swapped in. */
import { closeSync, fdatasync, rmSync, writeSync } from 'node:fs'
import { openSegmentFile, type SegmentFileCache } from '../segment/segment-file-cache.js'

const WRITE_CHUNK_BYTES = 1024 * 1024

/** The cleaned segment's file, written in large sequential chunks. */
export class CleanedSegmentWriter {
  sizeBytes = 0
  private readonly fd: number
  private pending: Buffer[] = []
  private pendingBytes = 0
  private closed = false

  constructor(
    readonly file: string,
    /** Whose idle descriptors the open gives back when the process has none left. */
    fileCache: SegmentFileCache,
  ) {
    // A leftover of the same name is from a pass that never reached its swap: it is replaced.
    this.fd = openSegmentFile(file, 'w', fileCache)
  }

  write(batch: Buffer): void {
    this.pending.push(batch)
    this.pendingBytes += batch.length
    this.sizeBytes += batch.length
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) this.writePending()
  }

  /** Writes the rest, fdatasyncs off the event loop, and closes the file. */
  async finish(): Promise<void> {
    this.writePending()
    const fd = this.fd
    await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())))
    this.close()
  }

  /** Closes and removes the file. */
  abandon(): void {
    this.close()
    rmSync(this.file, { force: true })
  }

  private writePending(): void {
    const bytes = Buffer.concat(this.pending, this.pendingBytes)
    for (let written = 0; written < bytes.length; ) written += writeSync(this.fd, bytes, written, bytes.length - written)
    this.pending = []
    this.pendingBytes = 0
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
  }
}
