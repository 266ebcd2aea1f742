/**
 * One partition's fetch loop inside a consumer subscription: ask the leader Fetch (a long poll:
 * the partition parks it until records come or fetchMaxWaitMs pass), then walk the returned
 * batches with a RecordCursor, decoding each record as it is emitted, and ask again. Nothing is
 * decoded ahead of emission and no BigInt is made per record beyond its own offset.
 *
 * The feed stops fetching while it is paused or while its subscription holds more unacknowledged
 * bytes than maxBufferedBytes; a pause, seek or unsubscribe made while it emits takes effect
 * before the next record. A fetch may start mid-batch: records below the position are skipped.
 */
import { baseOffsetAt, batchSizeAt, lastOffsetDeltaAt, RecordCursor } from '@rivulet/storage'
import type { ActorRef } from '../actor/actor-ref.js'
import type { FetchResult, OffsetSpec, PartitionMessage } from '../partition/partition-protocol.js'
import { type AcknowledgementTarget, ConsumedRecord } from './consumed-record.js'
import { PartitionOffsetOutOfRangeError } from './errors.js'
import type { ConsumerOptions } from './options.js'
import { type ByteBudget, HeldBytes } from './held-bytes.js'
import { type DecodeFailureSink, RecordDecoder } from './record-decoder.js'
import { isRetriable, unwrapActorFailure } from './retry.js'
import { failureAction, nextStep, resetPosition, resumeFrom } from './feed-decisions.js'
import { absurd } from '../actor/actor.js'
import type { Topic } from './topic.js'

/** Where a feed starts (or a seek goes): an offset, or one to look up. */
export type StartPosition = bigint | OffsetSpec

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
  paused = false
  private position: bigint | undefined = undefined
  private startSpec: OffsetSpec = 'latest'
  private stopped = false
  private generation = 0
  private wake: (() => void) | undefined = undefined
  private blocked: Promise<void> | undefined = undefined
  // The fetched bytes being emitted, and where in them.
  private buffer: Buffer | undefined = undefined
  private at = 0
  private cursor: RecordCursor | undefined = undefined
  private batchBase = 0n
  private batchBaseNumber = 0
  private batchLast = 0n
  private batchSize = 0
  private batchLastSequence = -1
  private skipBelow = 0
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
    this.moveTo(start)
  }

  /** Starts the fetch loop; it ends on stop() or when the subscription fails. */
  run(): void {
    this.loop().catch((error: unknown) => this.host.fail(error))
  }

  stop(): void {
    this.stopped = true
    this.dropBuffer()
    this.held.releaseAll()
    this.notify()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.notify()
  }

  /** Continues from `start`; what was fetched and not yet emitted is dropped. */
  seek(start: StartPosition): void {
    this.generation++
    this.dropBuffer()
    this.moveTo(start)
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
      const step = nextStep({
        stopped: this.stopped,
        blocked: this.blocked !== undefined,
        paused: this.paused,
        holdsRecords: this.buffer !== undefined,
        hasRoom: host.hasRoom(),
        positionKnown: this.position !== undefined,
      })
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
          if (!this.emit()) await this.sleepUnlessMoving()
          break
        case 'wait-for-room':
          await new Promise<void>((resolve) => {
            this.wake = resolve
            host.waitForRoom(resolve)
          })
          break
        case 'look-up-position':
          await this.lookUpPosition()
          break
        case 'fetch':
          await this.fetch(this.position!)
          break
        default:
          absurd(step)
      }
    }
  }

  private async fetch(offset: bigint): Promise<void> {
    const generation = this.generation
    const { fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs } = this.host.options
    let result: FetchResult
    try {
      const leader = await this.host.leader(this.topic, this.partition, false)
      result = await leader.ask(
        (replyTo) => ({ _tag: 'Fetch', offset, maxBytes: fetchMaxBytes, maxWaitMs: fetchMaxWaitMs, replyTo }),
        { timeoutMs: fetchMaxWaitMs + requestTimeoutMs },
      )
    } catch (error) {
      if (!this.stopped && generation === this.generation) await this.fetchFailed(unwrapActorFailure(error), offset)
      return
    }
    if (this.stopped || generation !== this.generation) return
    this.host.countFetch(result.records.length)
    if (result.records.length === 0) return
    this.buffer = result.records
    this.at = 0
    this.held.hold(result.records.length)
  }

  private async fetchFailed(error: unknown, offset: bigint): Promise<void> {
    switch (failureAction(tagOf(error), isRetriable(error), false)) {
      case 'reset-position': {
        const bounds = error as { readonly logStartOffset: bigint; readonly logEndOffset: bigint }
        const reset = resetPosition(this.host.options.autoOffsetReset, bounds)
        if (reset === 'fail') {
          const { topic, partition } = this
          return this.host.fail(new PartitionOffsetOutOfRangeError({ topic, partition, offset, ...bounds }))
        }
        this.position = reset
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

  private async lookUpPosition(): Promise<void> {
    const generation = this.generation
    const spec = this.startSpec
    let found: bigint | undefined
    try {
      const leader = await this.host.leader(this.topic, this.partition, false)
      const timeoutMs = this.host.options.requestTimeoutMs
      found = await leader.ask((replyTo) => ({ _tag: 'ListOffset', spec, replyTo }), { timeoutMs })
      // No record at or after the timestamp: wait for the next one, as Kafka does.
      if (found === undefined) found = await leader.ask((replyTo) => ({ _tag: 'ListOffset', spec: 'latest', replyTo }), { timeoutMs })
    } catch (error) {
      const cause = unwrapActorFailure(error)
      if (failureAction(tagOf(cause), isRetriable(cause), true) === 'fail') return this.fail(cause)
      return this.backOff()
    }
    if (!this.stopped && generation === this.generation) {
      this.position = found
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
    if (this.stopped) return
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
   * Emits the buffered records in order until they run out (true) or the feed must stop for a
   * while (false): paused, moved by a seek, stopped, or waiting for a dead-letter send.
   */
  private emit(): boolean {
    const buffer = this.buffer!
    const host = this.host
    const generation = this.generation
    for (;;) {
      let cursor = this.cursor
      if (cursor === undefined) {
        if (this.at >= buffer.length) {
          this.buffer = undefined
          return true
        }
        cursor = this.openBatch(buffer)
        if (cursor === undefined) continue
      }
      while (cursor.next()) {
        const delta = cursor.offsetDelta
        if (delta < this.skipBelow) continue
        const offset = this.batchBaseNumber >= 0 ? BigInt(this.batchBaseNumber + delta) : this.batchBase + BigInt(delta)
        const decoder = this.decoder
        if (!decoder.decode(cursor, offset)) {
          // Skipped or dead-lettered: carry on after it (now, or once the dead letter is sent).
          this.skipBelow = delta + 1
          if (decoder.deadLetterSent !== undefined) {
            this.blocked = decoder.deadLetterSent.catch((error: unknown) => host.fail(error))
            decoder.deadLetterSent = undefined
            return false
          }
          if (this.stopped) return false
          continue
        }
        const sequence = host.nextSequence()
        this.batchLastSequence = sequence
        this.lastSequence = sequence
        this.lastOffset = offset
        host.emit(new ConsumedRecord(this.topic, this.partition, offset, decoder.key, decoder.value, cursor.headers, cursor.timestamp, this, sequence))
        if (this.paused || this.stopped || generation !== this.generation || host.isClosed) return false
      }
      this.position = this.batchLast + 1n
      this.finishBatch()
    }
  }

  /** The cursor of the batch at `this.at`, or undefined when the whole batch is below the position. */
  private openBatch(buffer: Buffer): RecordCursor | undefined {
    const at = this.at
    const size = batchSizeAt(buffer, at)
    const base = baseOffsetAt(buffer, at)
    const last = base + BigInt(lastOffsetDeltaAt(buffer, at))
    const position = this.position!
    if (last < position) {
      this.at = at + size
      this.held.release(size)
      return undefined
    }
    this.cursor = new RecordCursor(buffer, at)
    this.batchBase = base
    this.batchBaseNumber = base <= MAX_SAFE ? Number(base) : -1
    this.batchLast = last
    this.batchSize = size
    this.batchLastSequence = -1
    this.skipBelow = position > base ? Number(position - base) : 0
    return this.cursor
  }

  private finishBatch(): void {
    this.cursor = undefined
    this.at += this.batchSize
    this.held.batchEmitted(this.batchSize, this.batchLastSequence)
  }

  private moveTo(start: StartPosition): void {
    this.baseSequence = this.host.peekSequence()
    if (typeof start === 'bigint') {
      this.position = start
      this.basePosition = start
    } else {
      this.position = undefined
      this.basePosition = undefined
      this.startSpec = start
    }
  }

  private dropBuffer(): void {
    if (this.buffer !== undefined) this.held.release(this.buffer.length - this.at)
    this.buffer = undefined
    this.cursor = undefined
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve))
  }

  /** After an interrupted emit: no wait when it was a seek (the loop must move on at once). */
  private sleepUnlessMoving(): Promise<void> {
    if (this.paused && this.buffer !== undefined && !this.stopped) return this.sleep()
    return Promise.resolve()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
