/**
 * The consumer (without groups): each subscribe()/assign() is a cold Observable whose
 * subscription starts one fetch loop per partition and whose unsubscription stops them.
 *
 *   consumer.subscribe(orders, { from: 'earliest' }).pipe(concatMap(handle), processed())
 *
 * A partition is read by at most one live subscription of a consumer at a time, so pause,
 * resume and seek name it unambiguously. Backpressure: see acknowledgement.ts and subscription.ts.
 */
import { Observable } from 'rxjs'
import { ClosedError } from '../errors.js'
import type { ClusterConnection } from './cluster-connection.js'
import type { ConsumedRecord } from './consumed-record.js'
import { PartitionAssignmentError } from './errors.js'
import { isAcknowledgingSubscription } from './acknowledgement.js'
import { MetadataCache } from './metadata.js'
import { type ConsumerOptions, type ConsumerOptionsInput, decodeConsumerOptions } from './options.js'
import type { PartitionFeed, StartPosition } from './partition-feed.js'
import type { RawRecord } from './record-decoder.js'
import { Producer } from './producer.js'
import { RecordIterator } from './record-iterator.js'
import { type ConsumerRecord, partitionKey, type TopicPartition } from './records.js'
import { type ConsumerCounters, type ConsumerStats, ConsumerSubscription, type SubscriptionContext, type SubscriptionTarget } from './subscription.js'
import { type KeyOut, resolveTopic, type TopicLike, topicName, type ValueOut } from './topic.js'

/** Where reading starts: the log start, its end (only new records), an offset, or a time. */
export type StartFrom = 'earliest' | 'latest' | { readonly offset: bigint | number } | { readonly timestamp: number }

export interface SubscribeOptions {
  /** Default: 'earliest' when autoOffsetReset is 'earliest', else 'latest'. */
  readonly from?: StartFrom
}

export interface Assignment<T extends TopicLike = TopicLike> {
  readonly topic: T
  readonly partition: number
  /** Default: as SubscribeOptions.from. */
  readonly offset?: SeekTo
}

/** Where a seek goes: an offset, either end of the log, or the first record at or after a time. */
export type SeekTo = bigint | number | 'earliest' | 'latest' | { readonly timestamp: number }

/** The records a consumer of `T` gets (a union of topics gives a union of record types). */
export type RecordOf<T extends TopicLike> = T extends unknown ? ConsumerRecord<KeyOut<T>, ValueOut<T>> : never

export type { ConsumerStats }

export class Consumer {
  readonly options: ConsumerOptions
  private readonly metadata: MetadataCache
  private readonly subscriptions = new Set<ConsumerSubscription>()
  private readonly claimed = new Map<string, PartitionFeed>()
  private readonly counters: ConsumerCounters = { fetches: 0, fetchedBytes: 0, records: 0, bufferedBytes: 0, peakBufferedBytes: 0 }
  private readonly context: SubscriptionContext
  private deadLetterProducer: Producer | undefined = undefined
  private closing: Promise<void> | undefined = undefined

  constructor(
    private readonly connection: ClusterConnection,
    options?: ConsumerOptionsInput,
  ) {
    this.options = decodeConsumerOptions(options)
    this.metadata = new MetadataCache(connection, { requestTimeoutMs: this.options.requestTimeoutMs, maxAgeMs: 300_000, autoCreate: false })
    this.context = {
      options: this.options,
      metadata: this.metadata,
      counters: this.counters,
      claim: (feed) => this.claim(feed),
      release: (feed) => {
        const key = partitionKey(feed.topic, feed.partition)
        if (this.claimed.get(key) === feed) this.claimed.delete(key)
      },
      ended: (subscription) => this.subscriptions.delete(subscription),
      deadLetter: (record, error) => this.deadLetter(record, error),
    }
  }

  /** Every partition of the topics (as many as they have when the subscription starts). */
  subscribe<T extends TopicLike>(topics: T | readonly T[], options: SubscribeOptions = {}): Observable<RecordOf<T>> {
    const start = this.startOf(options.from)
    const list = (Array.isArray(topics) ? topics : [topics]) as readonly TopicLike[]
    return this.observe(list.map((topic) => ({ handle: resolveTopic(topic), partition: undefined, start })))
  }

  /** Exactly the partitions given, each from its own offset. */
  assign<T extends TopicLike>(assignments: readonly Assignment<T>[]): Observable<RecordOf<T>> {
    const targets = assignments.map(({ topic, partition, offset }): SubscriptionTarget => {
      if (!Number.isInteger(partition) || partition < 0) {
        throw new RangeError(`partition ${partition} of topic "${topicName(topic)}" is not a non-negative integer`)
      }
      const start = offset === undefined ? this.startOf(undefined) : typeof offset === 'object' || typeof offset === 'string' ? this.startOf(offset) : this.startOf({ offset })
      return { handle: resolveTopic(topic), partition, start }
    })
    return this.observe(targets)
  }

  /** subscribe() as an async iterator; each record taken is acknowledged. */
  iterate<T extends TopicLike>(topics: T | readonly T[], options: SubscribeOptions = {}): AsyncIterableIterator<RecordOf<T>> {
    return new RecordIterator(this.subscribe(topics, options))
  }

  /**
   * Stops fetching and emitting these partitions (all consumed ones of a topic when `partitions`
   * is absent) until resumed; fetched records wait. A pause ends with the subscription.
   */
  pause(targets: readonly { readonly topic: TopicLike; readonly partitions?: readonly number[] }[]): void {
    for (const feed of this.feedsOf(targets)) feed.pause()
  }

  resume(targets: readonly { readonly topic: TopicLike; readonly partitions?: readonly number[] }[]): void {
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
    feed.seek(typeof offset === 'object' || typeof offset === 'string' ? this.startOf(offset) : this.startOf({ offset }))
  }

  /**
   * For each consumed partition whose records were acknowledged (processed(), or taken from
   * iterate()), the offset after the last one: where a restart should resume. What a consumer
   * group commits.
   */
  acknowledgedPositions(): (TopicPartition & { readonly offset: bigint })[] {
    const positions: (TopicPartition & { readonly offset: bigint })[] = []
    for (const feed of this.claimed.values()) {
      if (feed.acknowledgedOffset !== undefined) positions.push({ topic: feed.topic, partition: feed.partition, offset: feed.acknowledgedOffset + 1n })
    }
    return positions
  }

  get stats(): ConsumerStats {
    return { ...this.counters }
  }

  /**
   * Stops every fetch loop and completes every Observable of this consumer; later subscriptions
   * error with ClosedError. Dead letters already handed over are sent first. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const subscription of Array.from(this.subscriptions)) subscription.complete()
      await this.deadLetterProducer?.close()
    })()
    return this.closing
  }

  private observe<R>(targets: readonly SubscriptionTarget[]): Observable<R> {
    return new Observable<ConsumedRecord<unknown, unknown>>((subscriber) => {
      if (this.closing !== undefined) {
        subscriber.error(new ClosedError({ what: 'consumer' }))
        return
      }
      const subscription = new ConsumerSubscription(this.context, subscriber, targets, isAcknowledgingSubscription())
      this.subscriptions.add(subscription)
      void subscription.start()
      return () => subscription.stop()
    }) as unknown as Observable<R>
  }

  private startOf(from: StartFrom | undefined): StartPosition {
    if (from === undefined) return this.options.autoOffsetReset === 'earliest' ? 'earliest' : 'latest'
    if (from === 'earliest' || from === 'latest') return from
    if (typeof from === 'object' && from !== null && 'offset' in from) {
      const { offset } = from
      if ((typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) || (typeof offset === 'bigint' && offset >= 0n)) {
        return BigInt(offset)
      }
      throw new RangeError(`offset ${String(offset)} is not a non-negative integer`)
    }
    if (typeof from === 'object' && from !== null && 'timestamp' in from && Number.isFinite(from.timestamp)) {
      return { timestamp: from.timestamp }
    }
    throw new RangeError(`cannot start from ${JSON.stringify(from)}: use 'earliest', 'latest', { offset } or { timestamp }`)
  }

  private claim(feed: PartitionFeed): void {
    const key = partitionKey(feed.topic, feed.partition)
    if (this.claimed.has(key)) throw new PartitionAssignmentError({ topic: feed.topic, partition: feed.partition, reason: 'already-consumed' })
    this.claimed.set(key, feed)
  }

  /** The feeds named; throws PartitionAssignmentError for a partition named but not consumed. */
  private feedsOf(targets: readonly { readonly topic: TopicLike; readonly partitions?: readonly number[] }[]): PartitionFeed[] {
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
    if (typeof policy !== 'object') throw new Error('dead letter without a deadLetterTopic')
    this.deadLetterProducer ??= new Producer(this.connection, { lingerMs: 0 })
    const target = (error as { readonly target?: unknown } | null)?.target
    const headers = [
      ...record.headers,
      { key: 'rivulet.error.topic', value: record.topic },
      { key: 'rivulet.error.partition', value: String(record.partition) },
      { key: 'rivulet.error.offset', value: String(record.offset) },
      { key: 'rivulet.error.target', value: typeof target === 'string' ? target : 'record' },
      { key: 'rivulet.error.message', value: error instanceof Error ? error.message : String(error) },
    ]
    await this.deadLetterProducer.send(policy.deadLetterTopic, { key: record.key, value: record.value, headers, timestamp: record.timestamp })
    this.options.logger.warn(`sent record ${record.offset} of ${partitionKey(record.topic, record.partition)} to ${policy.deadLetterTopic}`, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    })
  }
}
