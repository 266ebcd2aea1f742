/**
 * Fetches a partition parks when it has nothing to return: each waits until the high watermark
 * passes its offset or its maxWaitMs runs out. Owned by the partition actor and touched only in
 * its handlers; a timer only tells the actor that a wait ran out.
 */
import { LogCorruptedError, OffsetOutOfRangeError } from '@rivulet/storage'
import type { ReplyTo } from '../actor/actor-ref.js'
import type { FetchResult } from './partition-protocol.js'

// Node fires a timer longer than 2^31-1 ms at once.
export const MAX_TIMER_MS = 0x7fffffff

/** One parked fetch; made only by FetchWaiters.park. */
export interface ParkedFetch {
  readonly offset: bigint
  readonly maxBytes: number
  readonly replyTo: ReplyTo<FetchResult>
}

interface Waiter extends ParkedFetch {
  readonly timer: ReturnType<typeof setTimeout>
}

export class FetchWaiters {
  private waiting: Waiter[] = []

  get size(): number {
    return this.waiting.length
  }

  /** Parks a fetch; after `maxWaitMs`, `onTimeout` is called with it (to tell the actor). */
  park(
    fetch: { readonly offset: bigint; readonly maxBytes: number; readonly maxWaitMs: number; readonly replyTo: ReplyTo<FetchResult> },
    onTimeout: (parked: ParkedFetch) => void,
  ): void {
    const waiter: Waiter = {
      offset: fetch.offset,
      maxBytes: fetch.maxBytes,
      replyTo: fetch.replyTo,
      timer: setTimeout(() => onTimeout(waiter), Math.min(fetch.maxWaitMs, MAX_TIMER_MS)),
    }
    this.waiting.push(waiter)
  }

  /** Answers every fetch the high watermark now has records for; the others keep waiting. */
  async wake(highWatermark: bigint, read: (offset: bigint, maxBytes: number) => Promise<FetchResult>): Promise<void> {
    if (this.waiting.length === 0) return
    const still: Waiter[] = []
    for (const waiter of this.waiting) {
      if (waiter.offset >= highWatermark) {
        still.push(waiter)
        continue
      }
      let result: FetchResult
      try {
        result = await read(waiter.offset, waiter.maxBytes)
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError || error instanceof LogCorruptedError)) throw error
        clearTimeout(waiter.timer)
        waiter.replyTo.fail(error)
        continue
      }
      if (result.records.length === 0) {
        still.push(waiter)
        continue
      }
      clearTimeout(waiter.timer)
      waiter.replyTo.reply(result)
    }
    this.waiting = still
  }

  /** Answers a fetch whose wait ran out (unless something answered it first). */
  expire(parked: ParkedFetch, answer: FetchResult): void {
    const index = this.waiting.indexOf(parked as Waiter)
    if (index === -1) return
    this.waiting.splice(index, 1)
    parked.replyTo.reply(answer)
  }

  /** Fails every parked fetch (the partition is stopping or deleted). */
  failAll(error: Error): void {
    for (const waiter of this.waiting) {
      clearTimeout(waiter.timer)
      waiter.replyTo.fail(error)
    }
    this.waiting = []
  }
}
