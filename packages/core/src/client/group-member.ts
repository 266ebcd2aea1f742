/**
 * One membership of a group consumer's subscription: join the group, then heartbeat (a long poll
 * the coordinator answers early when the member has something to do) and act on each answer.
 * Partitions no longer assigned are given up: their feeds stop, the pipeline is given time to
 * finish their records, what it finished is committed, and only then does the next heartbeat
 * report them gone, so the next owner starts where processing stopped (at-least-once, no loss).
 * New partitions start at their committed offsets (none: autoOffsetReset).
 *
 * A fenced member (UnknownMemberError or StaleGenerationError from a heartbeat, or no heartbeat
 * answered for a whole session) may no longer commit: it drops its partitions as they are
 * ('lost') and joins again. Steps that change what the member reads run one at a time.
 */
import type { Subject } from 'rxjs'
import type { MemberAssignment, MemberIdentity } from '../group/group-messages.js'
import type { CoordinatorLink } from './coordinator-link.js'
import { NoCommittedOffsetError } from './errors.js'
import type { GroupConsumerOptions } from './group-options.js'
import { type CommitSource, isTransientCommitFailure, keyOf, OffsetCommitter } from './offset-committer.js'
import type { PartitionFeed, StartPosition } from './partition-feed.js'
import type { TopicPartition } from './records.js'
import { isRetriable } from './retry.js'
import type { ConsumerSubscription } from './subscription.js'
import { resolveTopic, type Topic } from './topic.js'

/** A change of what a group consumer reads; 'lost': taken away without a commit (fenced). */
export interface RebalanceEvent {
  readonly type: 'assigned' | 'revoked' | 'lost'
  readonly partitions: readonly TopicPartition[]
  /** The member's generation when it happened. */
  readonly generation: number
}

/** What a member needs from its consumer. */
export interface MemberHost {
  readonly options: GroupConsumerOptions
  readonly link: CoordinatorLink
  readonly events: Subject<RebalanceEvent>
  /** Where a partition without a committed offset starts. */
  resetPosition(): StartPosition
}

interface Owned {
  readonly tp: TopicPartition
  readonly feed: PartitionFeed
}

const FENCED = new Set(['UnknownMemberError', 'StaleGenerationError'])
const isFenced = (error: unknown): boolean => FENCED.has((error as { readonly _tag?: string } | null)?._tag ?? '')

export class GroupMember implements CommitSource {
  private memberId: string | undefined = undefined
  private generation = -1
  private readonly owned = new Map<string, Owned>()
  private readonly committer: OffsetCommitter
  private readonly options: GroupConsumerOptions
  private stopping = false
  private left: Promise<void> | undefined = undefined
  /** Set once the member has left: late answers are ignored. */
  private gone = false
  /** A JoinGroup under way. */
  private joining: Promise<MemberAssignment> | undefined = undefined
  private lock: Promise<unknown> = Promise.resolve()
  private generationWaiters: (() => void)[] = []
  private lastHeardMs = Date.now()
  private coordinatorIntervalMs = 3000
  private autoCommitTimer: ReturnType<typeof setInterval> | undefined = undefined

  constructor(
    private readonly host: MemberHost,
    readonly subscription: ConsumerSubscription,
    private readonly handles: ReadonlyMap<string, Topic<unknown, unknown>>,
  ) {
    this.options = host.options
    this.committer = new OffsetCommitter(host.link, this)
  }

  get retryBackoffMs(): number {
    return this.options.retryBackoffMs
  }

  start(): void {
    void this.run()
    if (this.options.autoCommit) this.autoCommitTimer = setInterval(() => this.commitSoon(), this.options.autoCommitIntervalMs)
  }

  /** The partitions read now. */
  assignment(): TopicPartition[] {
    return [...this.owned.values()].map(({ tp }) => tp)
  }

  /** Commits the positions of what was taken (acknowledged) so far. */
  commit(): Promise<void> {
    return this.committer.commit()
  }

  /** A commit soon, from commitOffsets() or the auto-commit timer; a failure that matters fails the subscription. */
  commitSoon(): void {
    if (!this.stopping) this.committer.commitSoon((error) => this.backgroundCommitFailed(error))
  }

  /**
   * Stops reading, waits (with `drain`) for the pipeline to finish what it was handed, commits,
   * and leaves the group. A commit failure other than fencing is the result; a failed leave is
   * only logged (the session timeout removes the member anyway).
   */
  shutdown(drain: boolean): Promise<void> {
    if (this.left === undefined) {
      this.stopping = true
      clearInterval(this.autoCommitTimer)
      this.left = this.exclusive(() => this.leave(drain))
    }
    return this.left
  }

  identity(): MemberIdentity | undefined {
    return this.memberId === undefined ? undefined : { memberId: this.memberId, generation: this.generation }
  }

  *positions(): Iterable<{ readonly topic: string; readonly partition: number; readonly offset: bigint | undefined }> {
    const acknowledging = this.subscription.acknowledging
    for (const { tp, feed } of this.owned.values()) yield { topic: tp.topic, partition: tp.partition, offset: feed.resumePosition(acknowledging) }
  }

  generationAfter(generation: number): Promise<void> {
    if (this.generation !== generation) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.options.requestTimeoutMs)
      timer.unref()
      this.generationWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let reply: MemberAssignment
      try {
        if (this.memberId === undefined) {
          this.joining = this.join()
          reply = await this.joining.finally(() => (this.joining = undefined))
        } else {
          reply = await this.heartbeat()
        }
      } catch (error) {
        if (!this.stopping) await this.failed(error)
        continue
      }
      this.learn(reply)
      if (this.stopping) return
      try {
        await this.exclusive(() => this.reconcile(reply))
      } catch (error) {
        if (!this.stopping) await this.failed(error)
      }
    }
  }

  private join(): Promise<MemberAssignment> {
    const { groupInstanceId, sessionTimeoutMs, rebalanceTimeoutMs, assignor } = this.options
    const subscribedTopics = [...this.handles.keys()]
    return this.host.link.ask((replyTo) => ({
      _tag: 'JoinGroup',
      ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
      ...(assignor === undefined ? {} : { assignor }),
      subscribedTopics,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      replyTo,
    }))
  }

  private heartbeat(): Promise<MemberAssignment> {
    const { memberId, generation } = this
    const owned = this.assignment()
    const waitMs = Math.min(this.options.heartbeatIntervalMs ?? this.coordinatorIntervalMs, Math.floor(this.options.sessionTimeoutMs / 3))
    return this.host.link.ask((replyTo) => ({ _tag: 'Heartbeat', memberId: memberId!, generation, owned, waitMs, replyTo }), waitMs + this.options.requestTimeoutMs)
  }

  /** Who the coordinator says the member is now; a commit waiting for a new generation goes on. */
  private learn(reply: MemberAssignment): void {
    // An answer to a heartbeat sent before the member left says nothing about it any more.
    if (this.gone) return
    this.lastHeardMs = Date.now()
    this.memberId = reply.memberId
    this.coordinatorIntervalMs = reply.heartbeatIntervalMs
    if (reply.generation !== this.generation) {
      this.generation = reply.generation
      for (const wake of this.generationWaiters.splice(0)) wake()
    }
  }

  private async reconcile(reply: MemberAssignment): Promise<void> {
    const assigned = new Map(reply.assignment.map((tp) => [keyOf(tp.topic, tp.partition), tp]))
    const revoked = [...this.owned].filter(([key]) => !assigned.has(key)).map(([, owned]) => owned)
    const added = [...assigned].filter(([key]) => !this.owned.has(key)).map(([, tp]) => tp)
    if (revoked.length > 0) await this.revoke(revoked)
    if (added.length > 0 && !this.stopping && !this.subscription.isClosed) await this.assign(added)
  }

  private async revoke(revoked: readonly Owned[]): Promise<void> {
    const feeds = revoked.map(({ feed }) => feed)
    for (const feed of feeds) this.subscription.removeFeed(feed)
    await this.subscription.whenDrained(feeds, this.options.rebalanceTimeoutMs / 2)
    try {
      await this.committer.commit()
    } catch (error) {
      if (isFenced(error)) throw error
      this.warn('could not commit before giving partitions up; their last records will be read again', error)
    }
    for (const { tp } of revoked) {
      const key = keyOf(tp.topic, tp.partition)
      this.owned.delete(key)
      this.committer.forget(key)
    }
    this.host.events.next({ type: 'revoked', partitions: revoked.map(({ tp }) => tp), generation: this.generation })
  }

  private async assign(added: readonly TopicPartition[]): Promise<void> {
    const member = this.identity()!
    const { offsets } = await this.host.link.ask((replyTo) => ({ _tag: 'FetchOffsets', member, partitions: added, replyTo }))
    if (this.stopping || this.subscription.isClosed) return
    const committed = new Map(offsets.map(({ topic, partition, committed }) => [keyOf(topic, partition), committed?.offset]))
    if (this.options.autoOffsetReset === 'error') {
      const missing = added.find((tp) => committed.get(keyOf(tp.topic, tp.partition)) === undefined)
      if (missing !== undefined) throw new NoCommittedOffsetError({ groupId: this.options.groupId, ...missing })
    }
    for (const tp of added) {
      const key = keyOf(tp.topic, tp.partition)
      const offset = committed.get(key)
      const feed = this.subscription.addFeed(this.handles.get(tp.topic) ?? resolveTopic(tp.topic), tp.partition, offset ?? this.host.resetPosition())
      this.owned.set(key, { tp, feed })
      if (offset !== undefined) this.committer.known(key, offset)
    }
    this.host.events.next({ type: 'assigned', partitions: added, generation: this.generation })
  }

  private async failed(error: unknown): Promise<void> {
    if (isFenced(error)) return this.exclusive(async () => this.lose())
    if (!isRetriable(error)) return this.subscription.fail(error)
    // Unheard of for a whole session, the member is out for sure: others may hold its partitions.
    if (this.memberId !== undefined && Date.now() - this.lastHeardMs > this.options.sessionTimeoutMs) await this.exclusive(async () => this.lose())
    await new Promise((resolve) => setTimeout(resolve, this.options.retryBackoffMs))
  }

  /** Fenced: everything goes at once, uncommitted, and the next loop joins again. */
  private lose(): void {
    if (this.stopping) return
    const lost = [...this.owned.values()]
    for (const { feed } of lost) this.subscription.removeFeed(feed)
    this.owned.clear()
    this.committer.clear()
    const generation = this.generation
    this.memberId = undefined
    if (lost.length > 0) this.host.events.next({ type: 'lost', partitions: lost.map(({ tp }) => tp), generation })
  }

  private async leave(drain: boolean): Promise<void> {
    const leaving = [...this.owned.values()]
    const feeds = leaving.map(({ feed }) => feed)
    for (const feed of feeds) this.subscription.removeFeed(feed)
    if (drain) await this.subscription.whenDrained(feeds, this.options.rebalanceTimeoutMs / 2)
    let failure: unknown
    if (this.memberId !== undefined) {
      try {
        await this.committer.commit()
      } catch (error) {
        if (isFenced(error)) this.warn('left without committing: the member was fenced', error)
        else failure = error
      }
    }
    // Closed while joining: the member the join makes leaves now, not when its session runs out.
    const memberId = this.memberId ?? (await this.joining?.catch(() => undefined))?.memberId
    if (memberId !== undefined) await this.sendLeave(memberId)
    this.owned.clear()
    this.memberId = undefined
    this.gone = true
    if (leaving.length > 0) this.host.events.next({ type: 'revoked', partitions: leaving.map(({ tp }) => tp), generation: this.generation })
    if (failure !== undefined) throw failure
  }

  private async sendLeave(memberId: string): Promise<void> {
    await this.host.link.ask((replyTo) => ({ _tag: 'LeaveGroup', memberId, replyTo })).catch((error: unknown) => {
      if (!isFenced(error)) this.warn('could not leave the group; the coordinator will drop the member after its session timeout', error)
    })
  }

  private backgroundCommitFailed(error: unknown): void {
    if (this.stopping || isFenced(error)) return
    if (isTransientCommitFailure(error)) return this.warn('a commit failed; the next one will cover it', error)
    this.subscription.fail(error)
  }

  private warn(message: string, error: unknown): void {
    const cause = error instanceof Error ? error.message : String(error)
    this.options.logger.warn(`group "${this.options.groupId}": ${message} (${cause})`, { groupId: this.options.groupId, memberId: this.memberId })
  }

  private exclusive<A>(work: () => Promise<A>): Promise<A> {
    const result = this.lock.then(work)
    this.lock = result.catch(() => undefined)
    return result
  }
}
