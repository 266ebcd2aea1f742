/**
 * One subscription to a consumer's Observable: the partition feeds it runs (a fixed set, or, in
 * a consumer group, the ones its member adds and removes as assignments change) and the byte
 * budget they share. Fetched bytes are held from the moment a fetch returns until the records made from
 * them are taken: emitted, or, when the pipeline acknowledges (see acknowledgement.ts),
 * acknowledged. While more than maxBufferedBytes are held, the feeds do not fetch; so at most
 * maxBufferedBytes plus one fetch per partition are ever fetched ahead of the subscriber.
 */
import type { Subscriber } from 'rxjs'
import type { ActorRef } from '../actor/actor-ref.js'
import { UnknownPartitionError } from '../errors.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import type { ConsumedRecord } from './consumed-record.js'
import type { MetadataCache } from './metadata.js'
import type { ConsumerOptions } from './options.js'
import { type FeedHost, PartitionFeed, type StartPosition } from './partition-feed.js'
import type { RawRecord } from './record-decoder.js'
import type { Topic } from './topic.js'

/** A topic to read: all its partitions, or one. */
export interface SubscriptionTarget {
  readonly handle: Topic<unknown, unknown>
  /** Undefined: every partition the topic has when the subscription starts. */
  readonly partition: number | undefined
  readonly start: StartPosition
}

export interface ConsumerStats {
  readonly fetches: number
  readonly fetchedBytes: number
  readonly records: number
  /** Fetched bytes not yet taken (or acknowledged), over all subscriptions. */
  readonly bufferedBytes: number
  /** The most bufferedBytes ever was. */
  readonly peakBufferedBytes: number
}

export type ConsumerCounters = { -readonly [K in keyof ConsumerStats]: ConsumerStats[K] }

/** What a subscription needs from its consumer. */
export interface SubscriptionContext {
  readonly options: ConsumerOptions
  readonly metadata: MetadataCache
  readonly counters: ConsumerCounters
  /** Registers the feed's partition as consumed; throws PartitionAssignmentError when it is. */
  claim(feed: PartitionFeed): void
  release(feed: PartitionFeed): void
  ended(subscription: ConsumerSubscription): void
  /** Has the consumer's group commit acknowledged positions soon; false without a group. */
  requestCommit(subscription: ConsumerSubscription): boolean
  deadLetter(record: RawRecord, error: unknown): Promise<void>
}

export class ConsumerSubscription implements FeedHost {
  readonly options: ConsumerOptions
  private feeds: PartitionFeed[] = []
  private bufferedBytes = 0
  private readonly roomWaiters: (() => void)[] = []
  private readonly drainWaiters = new Set<() => void>()
  private done = false
  private sequence = 0
  /** The highest delivery number acknowledged so far, over every feed. */
  private maxAcknowledged = -1

  constructor(
    private readonly context: SubscriptionContext,
    private readonly subscriber: Subscriber<ConsumedRecord<unknown, unknown>>,
    private readonly targets: readonly SubscriptionTarget[],
    public acknowledging: boolean,
    /** Whose partitions a consumer group assigns: it, not a feed, decides when one is given up. */
    private readonly assignedByGroup = false,
  ) {
    this.options = context.options
  }

  /** Finds the partitions, claims them, and starts a feed for each. */
  async start(): Promise<void> {
    try {
      const feeds: PartitionFeed[] = []
      for (const { handle, partition, start } of this.targets) {
        const known = await this.context.metadata.get(handle.name)
        const partitionCount = known.metadata.partitionCount
        if (partition === undefined) {
          for (let p = 0; p < partitionCount; p++) feeds.push(new PartitionFeed(this, handle, p, start))
        } else if (partition >= partitionCount) {
          throw new UnknownPartitionError({ topic: handle.name, partition, partitionCount })
        } else {
          feeds.push(new PartitionFeed(this, handle, partition, start))
        }
      }
      if (this.done) return
      const claimed: PartitionFeed[] = []
      try {
        for (const feed of feeds) {
          this.context.claim(feed)
          claimed.push(feed)
        }
      } catch (error) {
        for (const feed of claimed) this.context.release(feed)
        throw error
      }
      this.feeds = feeds
      for (const feed of feeds) feed.run()
    } catch (error) {
      this.fail(error)
    }
  }

  /** Starts reading one more partition (a consumer group's new assignment). */
  addFeed(handle: Topic<unknown, unknown>, partition: number, start: StartPosition): PartitionFeed {
    const feed = new PartitionFeed(this, handle, partition, start)
    this.context.claim(feed)
    this.feeds.push(feed)
    feed.run()
    return feed
  }

  /** Stops reading a partition; acknowledgements of what it emitted still count (see whenDrained). */
  removeFeed(feed: PartitionFeed): void {
    const at = this.feeds.indexOf(feed)
    if (at >= 0) this.feeds.splice(at, 1)
    feed.stop()
    this.context.release(feed)
  }

  /**
   * Resolves once every record these (stopped) feeds emitted is acknowledged, or a record emitted
   * after all of them is (an ordered pipeline has then passed them, filtered or not), or the
   * subscription ends, or `timeoutMs` pass. At once when the pipeline does not acknowledge.
   */
  whenDrained(feeds: readonly PartitionFeed[], timeoutMs: number): Promise<void> {
    const drained = () =>
      this.done ||
      !this.acknowledging ||
      feeds.every((feed) => feed.acknowledgedSequence >= feed.lastEmittedSequence || this.maxAcknowledged > feed.lastEmittedSequence)
    if (drained()) return Promise.resolve()
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        this.drainWaiters.delete(check)
        resolve()
      }
      const check = () => {
        if (drained()) finish()
      }
      const timer = setTimeout(finish, timeoutMs)
      this.drainWaiters.add(check)
    })
  }

  /** Unsubscribed: the feeds stop. */
  stop(): void {
    if (this.done) return
    this.done = true
    this.end()
  }

  /** The consumer closed: the Observable completes. */
  complete(): void {
    if (this.done) return
    this.done = true
    this.end()
    this.subscriber.complete()
  }

  fail(error: unknown): void {
    if (this.done) return
    this.done = true
    this.end()
    this.subscriber.error(error)
  }

  markAcknowledging(): void {
    this.acknowledging = true
  }

  hasRoom(): boolean {
    return this.bufferedBytes < this.options.maxBufferedBytes
  }

  waitForRoom(wake: () => void): void {
    if (this.hasRoom()) wake()
    else this.roomWaiters.push(wake)
  }

  hold(bytes: number): void {
    this.bufferedBytes += bytes
    const counters = this.context.counters
    counters.bufferedBytes += bytes
    if (counters.bufferedBytes > counters.peakBufferedBytes) counters.peakBufferedBytes = counters.bufferedBytes
  }

  release(bytes: number): void {
    this.bufferedBytes -= bytes
    this.context.counters.bufferedBytes -= bytes
    if (this.roomWaiters.length > 0 && this.hasRoom()) this.wakeWaiters()
  }

  nextSequence(): number {
    return this.sequence++
  }

  peekSequence(): number {
    return this.sequence
  }

  acknowledged(sequence: number): void {
    if (sequence > this.maxAcknowledged) this.maxAcknowledged = sequence
    if (this.drainWaiters.size > 0) for (const check of Array.from(this.drainWaiters)) check()
  }

  requestCommit(): boolean {
    return this.context.requestCommit(this)
  }

  /**
   * A plain subscription fails; in a group, the feed just stops, since the coordinator revokes
   * the partitions of a deleted topic (and assigns them again if it comes back).
   */
  partitionGone(feed: PartitionFeed, error: unknown): void {
    if (!this.assignedByGroup) return this.fail(error)
    feed.stop()
  }

  countFetch(bytes: number): void {
    this.context.counters.fetches++
    this.context.counters.fetchedBytes += bytes
  }

  emit(record: ConsumedRecord<unknown, unknown>): void {
    this.context.counters.records++
    this.subscriber.next(record)
  }

  get isClosed(): boolean {
    return this.done
  }

  deadLetter(record: RawRecord, error: unknown): Promise<void> {
    return this.context.deadLetter(record, error)
  }

  async leader(topic: string, partition: number, refresh: boolean): Promise<ActorRef<PartitionMessage>> {
    const metadata = this.context.metadata
    const known = refresh ? await metadata.load(topic) : await metadata.get(topic)
    const leader = known.leaders[partition]
    if (leader === undefined) throw new UnknownPartitionError({ topic, partition, partitionCount: known.leaders.length })
    return leader
  }

  private end(): void {
    for (const feed of this.feeds) {
      feed.stop()
      this.context.release(feed)
    }
    this.feeds = []
    this.wakeWaiters()
    for (const check of Array.from(this.drainWaiters)) check()
    this.context.ended(this)
  }

  private wakeWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake()
  }
}
