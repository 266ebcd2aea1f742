/**
 * What the plain consumer and the group consumer share: the partitions their subscriptions read
 * (each read by at most one at a time, so pause, resume and seek name it unambiguously), the
 * counters, where reading starts, and the dead-letter sink for records that do not decode.
 */
import type { ClusterConnection } from './cluster-connection.js'
import type { DeadLetterSink } from './dead-letter-sink.js'
import { InvalidArgumentError, InvalidClientOptionError, PartitionAssignmentError } from './errors.js'
import { MetadataCache } from './metadata.js'
import type { ConsumerOptions } from './options.js'
import type { PartitionFeed, StartPosition } from './partition-feed.js'
import type { RawRecord } from './record-decoder.js'
import { partitionKey, type TopicPartition } from './records.js'
import type { ConsumerCounters, ConsumerStats, ConsumerSubscription, SubscriptionContext } from './subscription.js'
import { type TopicLike, topicName } from './topic.js'

/** The largest offset an int64 holds; a partition never gets there. */
const MAX_OFFSET = 2n ** 63n - 1n

/** Where reading starts: the log start, its end (only new records), an offset, or a time. */
export type StartFrom = 'earliest' | 'latest' | { readonly offset: bigint | number } | { readonly timestamp: number }

/** Where a seek goes: an offset, either end of the log, or the first record at or after a time. */
export type SeekTo = bigint | number | 'earliest' | 'latest' | { readonly timestamp: number }

/** Partitions named for pause and resume: all consumed ones of a topic when `partitions` is absent. */
export type PartitionTargets = readonly { readonly topic: TopicLike; readonly partitions?: readonly number[] }[]

export abstract class ConsumerBase {
  readonly options: ConsumerOptions
  protected readonly metadata: MetadataCache
  protected readonly subscriptions = new Set<ConsumerSubscription>()
  protected readonly claimed = new Map<string, PartitionFeed>()
  protected readonly context: SubscriptionContext
  protected closing: Promise<void> | undefined = undefined
  private readonly counters: ConsumerCounters = { fetches: 0, fetchedBytes: 0, records: 0, bufferedBytes: 0, peakBufferedBytes: 0 }
  private readonly deadLetters: DeadLetterSink | undefined

  /** `deadLetters` is where records that do not decode go; needed with `onDecodeError: { deadLetterTopic }`. */
  constructor(
    protected readonly connection: ClusterConnection,
    options: ConsumerOptions,
    deadLetters: DeadLetterSink | undefined,
  ) {
    if (typeof options.onDecodeError === 'object' && deadLetters === undefined) {
      const reason = 'a dead-letter topic needs a dead-letter sink to send through (Rivulet.consumer() gives one)'
      throw new InvalidClientOptionError({ client: 'consumer', option: 'onDecodeError', value: options.onDecodeError, reason })
    }
    this.options = options
    this.deadLetters = deadLetters
    this.metadata = new MetadataCache(connection, { requestTimeoutMs: options.requestTimeoutMs, maxAgeMs: 300_000, autoCreate: false })
    this.context = {
      options,
      metadata: this.metadata,
      counters: this.counters,
      claim: (feed) => this.claim(feed),
      release: (feed) => {
        const key = partitionKey(feed.topic, feed.partition)
        if (this.claimed.get(key) === feed) this.claimed.delete(key)
      },
      ended: (subscription) => {
        this.subscriptions.delete(subscription)
        this.subscriptionEnded(subscription)
      },
      requestCommit: (subscription) => this.requestCommit(subscription),
      deadLetter: (record, error) => this.deadLetter(record, error),
    }
  }

  /**
   * Stops fetching and emitting these partitions (all consumed ones of a topic when `partitions`
   * is absent) until resumed; fetched records wait. A pause ends with the subscription.
   */
  pause(targets: PartitionTargets): void {
    for (const feed of this.feedsOf(targets)) feed.pause()
  }

  resume(targets: PartitionTargets): void {
    for (const feed of this.feedsOf(targets)) feed.resume()
  }

  /** The partitions paused now. */
  paused(): TopicPartition[] {
    const paused: TopicPartition[] = []
    for (const feed of this.claimed.values()) if (feed.paused) paused.push({ topic: feed.topic, partition: feed.partition })
    return paused
  }

  /**
   * Moves a consumed partition: its next record is the one at `offset` (or the first at or after
   * a timestamp). Records fetched and not yet emitted are dropped.
   */
  seek(target: { readonly topic: TopicLike; readonly partition: number; readonly offset: SeekTo }): void {
    const topic = topicName(target.topic)
    const feed = this.claimed.get(partitionKey(topic, target.partition))
    if (feed === undefined) throw new PartitionAssignmentError({ topic, partition: target.partition, reason: 'not-consumed' })
    const { offset } = target
    feed.seek(typeof offset === 'object' || typeof offset === 'string' ? this.startOf(offset, 'seek', 'offset') : this.startOf({ offset }, 'seek', 'offset'))
  }

  get stats(): ConsumerStats {
    return { ...this.counters }
  }

  /** A subscription ended (unsubscribed, failed or completed). */
  protected subscriptionEnded(_subscription: ConsumerSubscription): void {}

  /** commitOffsets() asks for a commit; a consumer without a group has nothing to commit to. */
  protected requestCommit(_subscription: ConsumerSubscription): boolean {
    return false
  }

  /** Dead letters already handed over are sent. */
  protected closeDeadLetters(): Promise<void> {
    return this.deadLetters?.close() ?? Promise.resolve()
  }

  /**
   * Where `from` says to start. An offset is an int64 at or above 0 (Kafka's -1 and -2 are spelt
   * 'latest' and 'earliest' here); anything else is an InvalidArgumentError naming `argument` of `call`.
   */
  protected startOf(from: StartFrom | undefined, call = 'subscribe', argument = 'options.from'): StartPosition {
    if (from === undefined) return this.options.autoOffsetReset === 'earliest' ? 'earliest' : 'latest'
    if (from === 'earliest' || from === 'latest') return from
    if (typeof from === 'object' && from !== null && 'offset' in from) {
      const { offset } = from
      if ((typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) || (typeof offset === 'bigint' && offset >= 0n && offset <= MAX_OFFSET)) {
        return BigInt(offset)
      }
      const allowed = `an offset from 0 to ${MAX_OFFSET} (a bigint, or a safe integer number), or 'earliest' or 'latest'`
      throw new InvalidArgumentError({ call, argument, value: offset, allowed })
    }
    if (typeof from === 'object' && from !== null && 'timestamp' in from && Number.isFinite(from.timestamp)) {
      return { timestamp: from.timestamp }
    }
    throw new InvalidArgumentError({ call, argument, value: from, allowed: "'earliest', 'latest', { offset } or { timestamp } (ms since the epoch)" })
  }

  private claim(feed: PartitionFeed): void {
    const key = partitionKey(feed.topic, feed.partition)
    if (this.claimed.has(key)) throw new PartitionAssignmentError({ topic: feed.topic, partition: feed.partition, reason: 'already-consumed' })
    this.claimed.set(key, feed)
  }

  /** The feeds named; throws PartitionAssignmentError for a partition named but not consumed. */
  private feedsOf(targets: PartitionTargets): PartitionFeed[] {
    const feeds: PartitionFeed[] = []
    for (const { topic, partitions } of targets) {
      const name = topicName(topic)
      if (partitions === undefined) {
        for (const feed of this.claimed.values()) if (feed.topic === name) feeds.push(feed)
        continue
      }
      for (const partition of partitions) {
        const feed = this.claimed.get(partitionKey(name, partition))
        if (feed === undefined) throw new PartitionAssignmentError({ topic: name, partition, reason: 'not-consumed' })
        feeds.push(feed)
      }
    }
    return feeds
  }

  /** Sends a record that did not decode, as it was fetched, with headers saying why. */
  private async deadLetter(record: RawRecord, error: unknown): Promise<void> {
    const policy = this.options.onDecodeError
    // The constructor refused a dead-letter topic without a sink, and only that policy gets here.
    if (typeof policy !== 'object' || this.deadLetters === undefined) throw new Error('dead letter without a deadLetterTopic')
    const target = (error as { readonly target?: unknown } | null)?.target
    const headers = [
      ...record.headers,
      { key: 'rivulet.error.topic', value: record.topic },
      { key: 'rivulet.error.partition', value: String(record.partition) },
      { key: 'rivulet.error.offset', value: String(record.offset) },
      { key: 'rivulet.error.target', value: typeof target === 'string' ? target : 'record' },
      { key: 'rivulet.error.message', value: error instanceof Error ? error.message : String(error) },
    ]
    await this.deadLetters.send(policy.deadLetterTopic, { key: record.key, value: record.value, headers, timestamp: record.timestamp })
    this.options.logger.warn(`sent record ${record.offset} of ${partitionKey(record.topic, record.partition)} to ${policy.deadLetterTopic}`, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    })
  }
}
