/**
 * When appended bytes reach the disk: the log's flush policy, with group commit. Appends write
 * synchronously and then wait here; every append waiting at once shares the next fdatasync, so a
 * burst of N appends costs one or two syncs, not N.
 */
import type { FlushPolicy } from './log-config.js'

export interface Flushable {
  flush(): Promise<void>
}

export class SyncScheduler {
  private writeGeneration = 0
  private syncedGeneration = 0
  private inFlight: Promise<void> | undefined
  private readonly closedSegmentFlushes = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined
  private failureValue: unknown

  constructor(
    private readonly policy: FlushPolicy,
    private readonly active: () => Flushable,
  ) {}

  /**
   * The first failed fsync, kept for good: after one the kernel may have dropped pages it never
   * wrote, so no later sync can vouch for what came before it (PostgreSQL's "fsyncgate").
   */
  get failure(): unknown {
    return this.failureValue
  }

  /** Called after each write, synchronously. */
  noteWrite(): void {
    this.writeGeneration++
    if (typeof this.policy === 'object' && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.flushNow().catch(() => {})
      }, this.policy.everyMs)
      this.timer.unref()
    }
  }

  /** Resolves when the writes noted so far are done by the policy's standard. */
  policyBarrier(): Promise<void> {
    if (this.failureValue !== undefined) return Promise.reject(this.failureValue)
    if (this.policy === 'every-batch') return this.syncUpTo(this.writeGeneration)
    return Promise.resolve()
  }

  /** A segment that stopped being active: sync it in the background; later syncs wait for it. */
  flushClosedSegment(segment: Flushable): void {
    const flushing: Promise<void> = segment.flush().then(
      () => {
        this.closedSegmentFlushes.delete(flushing)
      },
      (error: unknown) => {
        this.closedSegmentFlushes.delete(flushing)
        this.failureValue ??= error
      },
    )
    this.closedSegmentFlushes.add(flushing)
  }

  /** Syncs everything written so far, whatever the policy. */
  flushNow(): Promise<void> {
    return this.syncUpTo(this.writeGeneration)
  }

  /** Waits for syncs under way without starting one (before files are deleted or replaced). */
  async drain(): Promise<void> {
    while (this.inFlight !== undefined || this.closedSegmentFlushes.size > 0) {
      await Promise.all([this.inFlight, ...this.closedSegmentFlushes])
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private async syncUpTo(generation: number): Promise<void> {
    while (this.syncedGeneration < generation || this.closedSegmentFlushes.size > 0) {
      if (this.inFlight !== undefined) {
        await this.inFlight
        continue
      }
      const target = this.writeGeneration
      const segment = this.active()
      this.inFlight = (async () => {
        await Promise.all(this.closedSegmentFlushes)
        await segment.flush()
        this.syncedGeneration = Math.max(this.syncedGeneration, target)
      })()
      try {
        await this.inFlight
      } catch (error) {
        this.failureValue ??= error
        throw error
      } finally {
        this.inFlight = undefined
      }
    }
    if (this.failureValue !== undefined) throw this.failureValue
  }
}
