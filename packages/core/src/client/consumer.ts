/**
 * The consumer without a group: each subscribe()/assign() is a cold Observable whose
 * subscription starts one fetch loop per partition and whose unsubscription stops it.
 *
 *   consumer.subscribe(orders, { from: 'earliest' }).pipe(concatMap(handle), processed())
 *
 * A partition is read by at most one live subscription of a consumer at a time, so pause,
 * resume and seek name it unambiguously. Backpressure: see acknowledgement.ts and subscription.ts.
 * With a groupId, rv.consumer() gives a GroupConsumer instead (group-consumer.ts).
 */
import { Observable } from 'rxjs'
import { ClosedError } from '../errors.js'
import { InvalidArgumentError } from './errors.js'
import { isAcknowledgingSubscription } from './acknowledgement.js'
import type { ClusterConnection } from './cluster-connection.js'
import type { ConsumedRecord } from './consumed-record.js'
import type { DeadLetterSink } from './dead-letter-sink.js'
import { ConsumerBase, type SeekTo, type StartFrom } from './consumer-base.js'
import { type ConsumerOptionsInput, decodeConsumerOptions } from './options.js'
import { RecordIterator } from './record-iterator.js'
import type { ConsumerRecord, TopicPartition } from './records.js'
import { type ConsumerStats, ConsumerSubscription, type SubscriptionTarget } from './subscription.js'
import { type KeyOut, resolveTopic, type TopicLike, type ValueOut } from './topic.js'

export type { PartitionTargets, SeekTo, StartFrom } from './consumer-base.js'

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

/** The records a consumer of `T` gets (a union of topics gives a union of record types). */
export type RecordOf<T extends TopicLike> = T extends unknown ? ConsumerRecord<KeyOut<T>, ValueOut<T>> : never

export type { ConsumerStats }

export class Consumer extends ConsumerBase {
  constructor(connection: ClusterConnection, options?: ConsumerOptionsInput, deadLetters?: DeadLetterSink) {
    super(connection, decodeConsumerOptions(options), deadLetters)
  }

  /** Every partition of the topics (as many as they have when the subscription starts). */
  subscribe<T extends TopicLike>(topics: T | readonly T[], options: SubscribeOptions = {}): Observable<RecordOf<T>> {
    const start = this.startOf(options.from)
    const list = (Array.isArray(topics) ? topics : [topics]) as readonly TopicLike[]
    return this.observe(list.map((topic) => ({ handle: resolveTopic(topic, 'subscribe'), partition: undefined, start })))
  }

  /** Exactly the partitions given, each from its own offset. */
  assign<T extends TopicLike>(assignments: readonly Assignment<T>[]): Observable<RecordOf<T>> {
    const targets = assignments.map(({ topic, partition, offset }): SubscriptionTarget => {
      const handle = resolveTopic(topic, 'assign')
      if (!Number.isInteger(partition) || partition < 0) {
        throw new InvalidArgumentError({ call: 'assign', argument: `partition of topic "${handle.name}"`, value: partition, allowed: 'a non-negative integer' })
      }
      const start =
        offset === undefined
          ? this.startOf(undefined)
          : typeof offset === 'object' || typeof offset === 'string'
            ? this.startOf(offset, 'assign', 'offset')
            : this.startOf({ offset }, 'assign', 'offset')
      return { handle, partition, start }
    })
    return this.observe(targets)
  }

  /** subscribe() as an async iterator; each record taken is acknowledged. */
  iterate<T extends TopicLike>(topics: T | readonly T[], options: SubscribeOptions = {}): AsyncIterableIterator<RecordOf<T>> {
    return new RecordIterator(this.subscribe(topics, options))
  }

  /**
   * For each consumed partition whose records were acknowledged (processed(), or taken from
   * iterate()), the offset after the last one: where a restart should resume.
   */
  acknowledgedPositions(): (TopicPartition & { readonly offset: bigint })[] {
    const positions: (TopicPartition & { readonly offset: bigint })[] = []
    for (const feed of this.claimed.values()) {
      if (feed.acknowledgedOffset !== undefined) positions.push({ topic: feed.topic, partition: feed.partition, offset: feed.acknowledgedOffset + 1n })
    }
    return positions
  }

  /**
   * Stops every fetch loop and completes every Observable of this consumer; later subscriptions
   * error with ClosedError. Dead letters already handed over are sent first. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const subscription of Array.from(this.subscriptions)) subscription.complete()
      await this.closeDeadLetters()
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
}
