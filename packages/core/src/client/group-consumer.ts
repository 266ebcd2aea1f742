/**
 * A consumer in a group: consumers sharing a groupId split the partitions of the topics they
 * subscribe to, each partition read by one of them at a time, and resume where the group's
 * committed offsets say.
 *
 *   const consumer = rv.consumer({ groupId: 'billing' })
 *   consumer.subscribe(orders).pipe(concatMap(handle), commitOffsets()).subscribe()
 *   consumer.rebalances$.subscribe((event) => log(event.type, event.partitions))
 *   await consumer.close()   // commits, leaves the group
 *
 * subscribe() is cold: subscribing joins the group (one live subscription per consumer: one
 * member), unsubscribing commits what was taken and leaves. What counts as taken follows the
 * acknowledgement rule (acknowledgement.ts): records acknowledged by processed(),
 * commitOffsets() or iterate(), or, in a pipeline without them, records once emitted. Commits
 * come from commitOffsets(), from commit(), every autoCommitIntervalMs (autoCommit), before a
 * partition is given up, and on close.
 */
import { Observable, Subject } from 'rxjs'
import { ClosedError } from '../errors.js'
import { isAcknowledgingSubscription } from './acknowledgement.js'
import type { ClusterConnection } from './cluster-connection.js'
import type { ConsumedRecord } from './consumed-record.js'
import type { DeadLetterSink } from './dead-letter-sink.js'
import { ConsumerBase } from './consumer-base.js'
import type { RecordOf } from './consumer.js'
import { CoordinatorLink } from './coordinator-link.js'
import { AlreadySubscribedError, InvalidArgumentError } from './errors.js'
import { GroupMember, type MemberHost, type RebalanceEvent } from './group-member.js'
import { decodeGroupConsumerOptions, type GroupConsumerOptions, type GroupConsumerOptionsInput } from './group-options.js'
import { RecordIterator } from './record-iterator.js'
import type { TopicPartition } from './records.js'
import { ConsumerSubscription } from './subscription.js'
import { resolveTopic, type Topic, type TopicLike } from './topic.js'

export type { RebalanceEvent }

export interface GroupMetadata {
  readonly groupId: string
  readonly groupInstanceId: string | undefined
  readonly memberId: string | undefined
  /** -1 while not a member. */
  readonly generation: number
}

export class GroupConsumer extends ConsumerBase {
  declare readonly options: GroupConsumerOptions
  /** Partitions assigned, revoked (committed first) and lost (fenced), as they happen. Completes on close. */
  readonly rebalances$: Observable<RebalanceEvent>
  private readonly events = new Subject<RebalanceEvent>()
  private readonly host: MemberHost
  private member: GroupMember | undefined = undefined
  private readonly leaving = new Set<Promise<void>>()

  constructor(connection: ClusterConnection, options: GroupConsumerOptionsInput, deadLetters?: DeadLetterSink) {
    const decoded = decodeGroupConsumerOptions(options)
    super(connection, decoded, deadLetters)
    this.rebalances$ = this.events.asObservable()
    this.host = {
      options: decoded,
      link: new CoordinatorLink(connection, decoded.groupId, decoded.requestTimeoutMs),
      events: this.events,
      resetPosition: () => this.startOf(undefined),
    }
  }

  get groupId(): string {
    return this.options.groupId
  }

  /** The records of the partitions of `topics` the group assigns to this consumer, as that changes. */
  subscribe<T extends TopicLike>(topics: T | readonly T[]): Observable<RecordOf<T>> {
    const list = (Array.isArray(topics) ? topics : [topics]) as readonly TopicLike[]
    if (list.length === 0) throw new InvalidArgumentError({ call: 'subscribe', argument: 'topics', value: topics, allowed: `at least one topic for group "${this.groupId}"` })
    const handles = new Map<string, Topic<unknown, unknown>>(list.map((topic) => resolveTopic(topic, 'subscribe')).map((handle) => [handle.name, handle]))
    return new Observable<ConsumedRecord<unknown, unknown>>((subscriber) => {
      if (this.closing !== undefined) return subscriber.error(new ClosedError({ what: 'consumer' }))
      if (this.member !== undefined) return subscriber.error(new AlreadySubscribedError({ groupId: this.groupId }))
      const subscription = new ConsumerSubscription(this.context, subscriber, [], isAcknowledgingSubscription(), true)
      this.subscriptions.add(subscription)
      const member = new GroupMember(this.host, subscription, handles)
      this.member = member
      member.start()
      return () => subscription.stop()
    }) as unknown as Observable<RecordOf<T>>
  }

  /** subscribe() as an async iterator; each record taken is acknowledged, so auto-commit covers it. */
  iterate<T extends TopicLike>(topics: T | readonly T[]): AsyncIterableIterator<RecordOf<T>> {
    return new RecordIterator(this.subscribe(topics))
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return this.member?.assignment() ?? []
  }

  /** Who this consumer is in its group now (Kafka's groupMetadata()); no memberId while not a member. */
  groupMetadata(): GroupMetadata {
    const identity = this.member?.identity()
    const { groupId, groupInstanceId } = this.options
    return { groupId, groupInstanceId, memberId: identity?.memberId, generation: identity?.generation ?? -1 }
  }

  /**
   * Commits the positions of what was taken so far, now. Rejects with the coordinator's typed
   * error (UnknownMemberError when the member was fenced, NotOwnedPartitionError, ...).
   */
  commit(): Promise<void> {
    return this.member?.commit() ?? Promise.resolve()
  }

  /**
   * Stops reading, lets the pipeline finish the records it was handed (at most half of
   * rebalanceTimeoutMs), commits, leaves the group, and completes the Observable and
   * rebalances$. Rejects when the final commit fails (not when leaving does). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const member = this.member
      this.member = undefined
      let failure: { readonly error: unknown } | undefined
      if (member !== undefined) {
        await member.shutdown(true).catch((error: unknown) => (failure = { error }))
        member.subscription.complete()
      }
      await Promise.allSettled(this.leaving)
      this.events.complete()
      await this.closeDeadLetters()
      if (failure !== undefined) throw failure.error
    })()
    return this.closing
  }

  protected override subscriptionEnded(subscription: ConsumerSubscription): void {
    const member = this.member
    if (member?.subscription !== subscription) return
    this.member = undefined
    const left = member.shutdown(false).catch((error: unknown) => {
      this.options.logger.warn(`group "${this.groupId}": the last commit failed while unsubscribing (${error instanceof Error ? error.message : String(error)})`)
    })
    this.leaving.add(left)
    void left.finally(() => this.leaving.delete(left))
  }

  protected override requestCommit(subscription: ConsumerSubscription): boolean {
    if (this.member?.subscription === subscription) this.member.commitSoon()
    return true
  }
}
