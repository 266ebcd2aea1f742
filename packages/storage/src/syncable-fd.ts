/**
 * A file descriptor fdatasynced off the event loop (libuv's thread pool), whose close waits for
 * the syncs under way: closing it under a running fdatasync could let the number be reused by
 * another file before the sync reads it.
 */
import { closeSync, fdatasync } from 'node:fs'

export class SyncableFd {
  private syncsInFlight = 0
  private closeRequested = false

  constructor(readonly fd: number) {}

  async sync(): Promise<void> {
    this.syncsInFlight++
    try {
      await new Promise<void>((resolve, reject) => fdatasync(this.fd, (error) => (error ? reject(error) : resolve())))
    } finally {
      this.syncsInFlight--
      if (this.syncsInFlight === 0 && this.closeRequested) closeSync(this.fd)
    }
  }

  /** Closes now, or once the syncs under way finish. A second call does nothing. */
  close(): void {
    if (this.closeRequested) return
    this.closeRequested = true
    if (this.syncsInFlight === 0) closeSync(this.fd)
  }
}
