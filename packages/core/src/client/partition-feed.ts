/**
 * One partition's fetch loop inside a consumer subscription: ask the leader Fetch (a long poll:
 * the partition parks it until records come or fetchMaxWaitMs pass), then walk the returned
 * batches with a RecordCursor, decoding each record as it is emitted, and ask again. Nothing is
 * decoded ahead of emission and no BigInt is made per record beyond its own offset.
 *
 * The feed stops fetching while it is paused or while its subscription holds more unacknowledged
 * bytes than maxBufferedBytes; a pause, seek or unsubscribe made while it emits takes effect
 * before the next record. A fetch may start mid-batch: records below the position are skipped.
 *
 * Where the feed stands is one FeedState (feed-state.ts); what to do next is decided by the pure
 * functions of feed-decisions.ts. This class does the I/O and the waiting between them.
 */
import { baseOffsetAt, batchSizeAt, lastOffsetDeltaAt, RecordCursor } from '@rivulet/storage'
import type { ActorRef } from '../actor/actor-ref.js'
import type { FetchResult, PartitionMessage } from '../partition/partition-protocol.js'
import { type AcknowledgementTarget, ConsumedRecord } from './consumed-record.js'
import { PartitionOffsetOutOfRangeError } from './errors.js'
import type { ConsumerOptions } from './options.js'
import { type ByteBudget, HeldBytes } from './held-bytes.js'
import { type DecodeFailureSink, RecordDecoder } from './record-decoder.js'
import { isRetriable, unwrapActorFailure } from './retry.js'
import { failureAction, nextStep, resetPosition, resumeFrom } from './feed-decisions.js'
import { type FeedState, type Holding, holding, type LookingUp, type OpenBatch, positionOf, type Ready, readyAt, type StartPosition, startingAt, stopped, unemittedBytes } from './feed-state.js'
import { absurd } from '../actor/actor.js'
import type { Topic } from './topic.js'

export type { StartPosition } from './feed-state.js'

/** What a feed needs from its subscription. */
export interface FeedHost extends DecodeFailureSink, ByteBudget {
  readonly options: ConsumerOptions
  hasRoom(): boolean
  /** Calls `wake` once the subscription is below maxBufferedBytes again. */
  waitForRoom(wake: () => void): void
  countFetch(bytes: number): void
  /** A delivery number for the next record emitted: increasing over the whole subscription. */
  nextSequence(): number
  /** The number nextSequence() will give next. */
  peekSequence(): number
  /** A record of this subscription was acknowledged (with everything before it of its partition). */
  acknowledged(sequence: number): void
  /** Asks the consumer's group to commit what is acknowledged; false when there is no group. */
  requestCommit(): boolean
  emit(record: ConsumedRecord<unknown, unknown>): void
  /** The feed's topic or partition no longer exists (UnknownTopicError or UnknownPartitionError). */
  partitionGone(feed: PartitionFeed, error: unknown): void
  readonly isClosed: boolean
  leader(topic: string, partition: number, refresh: boolean): Promise<ActorRef<PartitionMessage>>
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

const tagOf = (error: unknown): unknown => (error as { readonly _tag?: unknown } | null)?._tag

export class PartitionFeed implements AcknowledgementTarget {
  readonly topic: string
  private state: FeedState
  private pausedFlag = false
  /** A dead-letter send the feed waits for before emitting on. */
  private blocked: Promise<void> | undefined = undefined
  /** Ends the current wait (a sleep, a backoff, a wait for room) when something changes. */
  private wake: (() => void) | undefined = undefined
  /** The delivery number and offset of the last record emitted (-1: none yet). */
  private lastSequence = -1
  private lastOffset = -1n
  /**
   * Where the feed started or was last moved to (undefined until a start spec is looked up), and
   * the first delivery number after that move: the resume position when nothing since was taken.
   */
  private basePosition: bigint | undefined = undefined
  private baseSequence = 0
  private readonly held: HeldBytes
  private readonly decoder: RecordDecoder

  constructor(
    private readonly host: FeedHost,
    handle: Topic<unknown, unknown>,
    readonly partition: number,
    start: StartPosition,
  ) {
    this.topic = handle.name
    this.decoder = new RecordDecoder(handle, partition, host.options, host)
    this.held = new HeldBytes(host)
    this.state = this.moveTo(start)
  }

  /** Starts the fetch loop; it ends on stop() or when the subscription fails. */
  run(): void {
    this.loop().catch((error: unknown) => this.host.fail(error))
  }

  get paused(): boolean {
    return this.pausedFlag
  }

  /** What the feed is doing: LookingUp, Ready, Holding or Stopped. */
  get phase(): FeedState['_tag'] {
    return this.state._tag
  }

  stop(): void {
    this.leave(stopped)
    this.held.releaseAll()
    this.notify()
  }

  pause(): void {
    this.pausedFlag = true
  }

  resume(): void {
    this.pausedFlag = false
    this.notify()
  }

  /** Continues from `start`; what was fetched and not yet emitted is dropped. Ignored once stopped. */
  seek(start: StartPosition): void {
    if (this.state._tag === 'Stopped') return
    this.leave(this.moveTo(start))
    this.notify()
  }

  /** Also after stop(): a group that gives the partition up commits what was finished by then. */
  acknowledge(sequence: number, offset: bigint): void {
    this.held.acknowledge(sequence, offset)
    this.host.acknowledged(sequence)
  }

  requestCommit(): boolean {
    return this.host.requestCommit()
  }

  /** The offset of the last acknowledged record (a group commits the one after it). */
  get acknowledgedOffset(): bigint | undefined {
    return this.held.acknowledgedOffset
  }

  get acknowledgedSequence(): number {
    return this.held.acknowledgedSequence
  }

  /** The delivery number of the last record emitted; -1 before the first. */
  get lastEmittedSequence(): number {
    return this.lastSequence
  }

  /**
   * Where a consumer group resumes this partition: after the last record taken (acknowledged,
   * or emitted when the pipeline does not acknowledge), else where the feed started or was moved
   * to. Undefined while that start is still being looked up.
   */
  resumePosition(acknowledging: boolean): bigint | undefined {
    return resumeFrom({
      acknowledging,
      baseSequence: this.baseSequence,
      basePosition: this.basePosition,
      acknowledgedSequence: this.held.acknowledgedSequence,
      acknowledgedOffset: this.held.acknowledgedOffset,
      lastSequence: this.lastSequence,
      lastOffset: this.lastOffset,
    })
  }

  private async loop(): Promise<void> {
    const host = this.host
    for (;;) {
      const state = this.state
      const step = nextStep({ state: state._tag, blocked: this.blocked !== undefined, paused: this.pausedFlag, hasRoom: host.hasRoom() })
      switch (step) {
        case 'stop':
          return
        case 'wait-unblocked':
          await this.blocked
          this.blocked = undefined
          break
        case 'sleep-paused':
          await this.sleep()
          break
        case 'emit':
          if (!this.emit(state as Holding)) await this.sleepWhileHeldPaused()
          break
        case 'wait-for-room':
          await new Promise<void>((resolve) => {
            this.wake = resolve
            host.waitForRoom(resolve)
          })
          break
        case 'look-up-position':
          await this.lookUpPosition(state as LookingUp)
          break
        case 'fetch':
          await this.fetch(state as Ready)
          break
        default:
          absurd(step)
      }
    }
  }

  private async fetch(ready: Ready): Promise<void> {
    const offset = ready.position
    const { fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs } = this.host.options
    let result: FetchResult
    try {
      const leader = await this.host.leader(this.topic, this.partition, false)
      result = await leader.ask(
        (replyTo) => ({ _tag: 'Fetch', offset, maxBytes: fetchMaxBytes, maxWaitMs: fetchMaxWaitMs, replyTo }),
        { timeoutMs: fetchMaxWaitMs + requestTimeoutMs },
      )
    } catch (error) {
      if (this.state === ready) await this.fetchFailed(ready, unwrapActorFailure(error))
      return
    }
    // A seek or a stop while the fetch was out: its records are for a position the feed left.
    if (this.state !== ready) return
    this.host.countFetch(result.records.length)
    if (result.records.length === 0) return
    this.held.hold(result.records.length)
    this.state = holding(ready, result.records)
  }

  private async fetchFailed(ready: Ready, error: unknown): Promise<void> {
    switch (failureAction(tagOf(error), isRetriable(error), false)) {
      case 'reset-position': {
        const bounds = error as { readonly logStartOffset: bigint; readonly logEndOffset: bigint }
        const reset = resetPosition(this.host.options.autoOffsetReset, bounds)
        if (reset === 'fail') {
          const { topic, partition } = this
          return this.host.fail(new PartitionOffsetOutOfRangeError({ topic, partition, offset: ready.position, ...bounds }))
        }
        this.state = readyAt(reset)
        this.basePosition = reset
        this.baseSequence = this.host.peekSequence()
        return
      }
      case 'back-off-and-find-leader':
        return this.backOff()
      case 'fail':
        return this.fail(error)
    }
  }

  private async lookUpPosition(lookingUp: LookingUp): Promise<void> {
    const spec = lookingUp.spec
    let found: bigint | undefined
    try {
      const leader = await this.host.leader(this.topic, this.partition, false)
      const timeoutMs = this.host.options.requestTimeoutMs
      found = await leader.ask((replyTo) => ({ _tag: 'ListOffset', spec, replyTo }), { timeoutMs })
      // No record at or after the timestamp: wait for the next one, as Kafka does.
      if (found === undefined) found = await leader.ask((replyTo) => ({ _tag: 'ListOffset', spec: 'latest', replyTo }), { timeoutMs })
    } catch (error) {
      if (this.state !== lookingUp) return
      const cause = unwrapActorFailure(error)
      if (failureAction(tagOf(cause), isRetriable(cause), true) === 'fail') return this.fail(cause)
      return this.backOff()
    }
    // 'latest' always has an answer (the high watermark); the reply type cannot say so.
    if (found === undefined) return this.backOff()
    if (this.state === lookingUp) {
      this.state = readyAt(found)
      this.basePosition = found
    }
  }

  /** Waits retryBackoffMs (or until stopped), then finds the leader again. */
  private async backOff(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.host.options.retryBackoffMs)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    if (this.state._tag === 'Stopped') return
    try {
      await this.host.leader(this.topic, this.partition, true)
    } catch (error) {
      // The topic is gone (or the partition): nothing to wait for.
      if (!isRetriable(error)) this.fail(error)
    }
  }

  /** A partition that no longer exists is the subscription's to judge; anything else fails it. */
  private fail(error: unknown): void {
    const tag = tagOf(error)
    if (tag === 'UnknownTopicError' || tag === 'UnknownPartitionError') this.host.partitionGone(this, error)
    else this.host.fail(error)
  }

  /**
   * Emits the held records in order until they run out (true: the feed is Ready after them) or
   * the feed must stop for a while (false): paused, moved by a seek, stopped, or waiting for a
   * dead-letter send.
   */
  private emit(held: Holding): boolean {
    const host = this.host
    const decoder = this.decoder
    for (;;) {
      let batch = held.batch
      if (batch === undefined) {
        if (held.at >= held.records.length) {
          this.state = readyAt(held.position)
          return true
        }
        batch = this.openBatch(held)
        if (batch === undefined) continue
      }
      const cursor = batch.cursor
      while (cursor.next()) {
        const delta = cursor.offsetDelta
        if (delta < batch.skipBelow) continue
        const offset = batch.baseNumber >= 0 ? BigInt(batch.baseNumber + delta) : batch.base + BigInt(delta)
        if (!decoder.decode(cursor, offset)) {
          // Skipped or dead-lettered: carry on after it (now, or once the dead letter is sent).
          batch.skipBelow = delta + 1
          if (decoder.deadLetterSent !== undefined) {
            this.blocked = decoder.deadLetterSent.catch((error: unknown) => host.fail(error))
            decoder.deadLetterSent = undefined
            return false
          }
          if (this.state !== held) return false
          continue
        }
        const sequence = host.nextSequence()
        batch.lastSequence = sequence
        this.lastSequence = sequence
        this.lastOffset = offset
        host.emit(new ConsumedRecord(this.topic, this.partition, offset, decoder.key, decoder.value, cursor.headers, cursor.timestamp, this, sequence))
        if (this.pausedFlag || this.state !== held || host.isClosed) return false
      }
      held.position = batch.last + 1n
      held.batch = undefined
      held.at += batch.size
      this.held.batchEmitted(batch.size, batch.lastSequence)
    }
  }

  /** The batch at `held.at`, opened; undefined (and stepped over) when it is all below the position. */
  private openBatch(held: Holding): OpenBatch | undefined {
    const { records, at, position } = held
    const size = batchSizeAt(records, at)
    const base = baseOffsetAt(records, at)
    const last = base + BigInt(lastOffsetDeltaAt(records, at))
    if (last < position) {
      held.at = at + size
      this.held.release(size)
      return undefined
    }
    held.batch = {
      cursor: new RecordCursor(records, at),
      base,
      baseNumber: base <= MAX_SAFE ? Number(base) : -1,
      last,
      size,
      skipBelow: position > base ? Number(position - base) : 0,
      lastSequence: -1,
    }
    return held.batch
  }

  /** The state a move to `start` leads to; the resume position becomes that start. */
  private moveTo(start: StartPosition): FeedState {
    const next = startingAt(start)
    this.baseSequence = this.host.peekSequence()
    this.basePosition = positionOf(next)
    return next
  }

  /** Enters `next`, letting go of fetched bytes not yet emitted. */
  private leave(next: FeedState): void {
    const dropped = unemittedBytes(this.state)
    if (dropped > 0) this.held.release(dropped)
    this.state = next
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve))
  }

  /** After an interrupted emit: sleeps only when paused with records held (a seek or stop moves on at once). */
  private sleepWhileHeldPaused(): Promise<void> {
    if (this.pausedFlag && this.state._tag === 'Holding') return this.sleep()
    return Promise.resolve()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
