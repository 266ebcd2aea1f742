/**
 * GroupCoordinatorActor: one per consumer group, at `<cluster>.<node>.group.<groupId>`, spawned by
 * the broker on FindCoordinator. It owns the group's GroupState and wraps the pure core: per
 * message it runs handleGroupEvent, makes offset records durable, replies, and carries out effects.
 *
 * Behavior:
 * - Every start (spawn, supervisor restart) asks for the topics and restores the group's offsets
 *   (group-restore.ts): an Empty group whose old members must join again.
 * - A transition carrying offset records takes effect only once its one batch is durable (acks
 *   all). If the append fails, the request fails with OffsetPersistenceError and the state stays
 *   as it was before the message (nothing of the transition is kept).
 * - Heartbeats are long polls: answered at once when the reply differs from what the member was
 *   last told; otherwise parked until a PromptHeartbeat names the member or `waitMs` passes
 *   (capped at half its session timeout, so waiting never expires it), and then run again.
 * - After every message one unref'd timer is set for nextDeadlineMs(state); it sends a private Tick.
 * - A group with no members and no committed offsets does not exist for DescribeGroup and
 *   DeleteGroup (UnknownGroupError), as in Kafka.
 * - DeleteGroup writes tombstones, calls onDeleted (the broker then stops the actor) and stops.
 * - ResetOffsets is a commit without a member, all or nothing, allowed only while Empty.
 */
import { absurd, type Actor, type ActorContext, type ActorFactory } from '../actor/actor.js'
import type { ActorRef, ReplyTo } from '../actor/actor-ref.js'
import { ActorStoppedError } from '../actor/errors.js'
import { describeGroup, handleGroupEvent } from './group-coordinator.js'
import { GroupNotEmptyError, InconsistentAssignorError, OffsetPersistenceError, UnknownGroupError, UnknownMemberError } from './group-errors.js'
import type { GroupEffect, HeartbeatRequest, MemberAssignment, Outcome, Transition } from './group-messages.js'
import type { GroupMessage } from './group-protocol.js'
import { restoreGroupState, type RestoreOptions } from './group-restore.js'
import { nextDeadlineMs, type GroupState } from './group-state.js'
import type { OffsetRecord } from './offset-record.js'
import { appendOffsetRecords } from './offsets-topic.js'
import { ParkedHeartbeats, type ParkedHeartbeat } from './parked-heartbeats.js'
import { sameTopicPartitions } from './topic-partition.js'

/** The partition counts of the cluster's topics, as the broker last knew them. */
export interface TopicsSnapshot {
  /** Rises with every change, so a snapshot arriving after a newer one is ignored. */
  readonly version: number
  readonly partitionsPerTopic: ReadonlyMap<string, number>
}

export interface GroupCoordinatorOptions extends RestoreOptions {
  /** The cluster's topics now; asked at every start. Later changes arrive as topicsChanged messages. */
  readonly topics: () => Promise<TopicsSnapshot>
  /** Called once the group's deletion is durable, before the reply; the actor then stops. */
  readonly onDeleted?: () => void
}

const PRIVATE: unique symbol = Symbol('GroupCoordinatorPrivate')

type PrivateMessage =
  | { readonly _tag: 'Tick' }
  | { readonly _tag: 'HeartbeatWaitExpired'; readonly parked: ParkedHeartbeat }
  | { readonly _tag: 'TopicsChanged'; readonly snapshot: TopicsSnapshot }

/** Wrapped under a symbol this module keeps, so nobody else can make one (Pekko's private messages). */
interface PrivateEnvelope {
  readonly _tag: 'Private'
  readonly [PRIVATE]: PrivateMessage
}

/** What the actor's mailbox carries; clients see it as an ActorRef<GroupMessage>. */
export type GroupCommand = GroupMessage | PrivateEnvelope

const wrap = (message: PrivateMessage): PrivateEnvelope => ({ _tag: 'Private', [PRIVATE]: message })

/** The broker's message to a coordinator: the topics changed (created, deleted, grown). */
export const topicsChanged = (snapshot: TopicsSnapshot): GroupCommand => wrap({ _tag: 'TopicsChanged', snapshot })

/** Timers cannot wait longer than this in Node. */
const MAX_TIMER_MS = 0x7fffffff

/** The factory to spawn a coordinator with (use a restart strategy: state comes back from the offsets topic). */
export const groupCoordinatorActor =
  (options: GroupCoordinatorOptions): ActorFactory<GroupCommand> =>
  async () => {
    const snapshot = await options.topics()
    const state = await restoreGroupState(options, snapshot.partitionsPerTopic)
    return new GroupCoordinatorActor(options, state, snapshot.version)
  }

const sameAssignment = (a: MemberAssignment, b: MemberAssignment): boolean =>
  a.generation === b.generation && sameTopicPartitions(a.assignment, b.assignment)

const recordsOf = (t: Transition<unknown>): readonly OffsetRecord[] =>
  t.effects.flatMap((effect) => (effect._tag === 'PersistOffsets' ? effect.records : []))

class GroupCoordinatorActor implements Actor<GroupCommand> {
  private readonly parked = new ParkedHeartbeats()
  /** The last assignment each member was sent: a heartbeat whose reply equals it waits. */
  private readonly told = new Map<string, MemberAssignment>()
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private self: ActorRef<GroupCommand> | undefined = undefined

  constructor(
    private readonly options: GroupCoordinatorOptions,
    private state: GroupState,
    private topicsVersion: number,
  ) {}

  private get groupId(): string {
    return this.options.groupId
  }

  preStart(context: ActorContext<GroupCommand>): void {
    this.self = context.self
  }

  postStop(context: ActorContext<GroupCommand>): void {
    clearTimeout(this.timer)
    this.parked.failAll(new ActorStoppedError({ path: context.path, reason: 'the group coordinator stopped' }))
  }

  async receive(message: GroupCommand, context: ActorContext<GroupCommand>): Promise<void> {
    switch (message._tag) {
      case 'JoinGroup':
        this.join(message)
        break
      case 'Heartbeat':
        this.heartbeat(message)
        break
      case 'LeaveGroup': {
        const t = handleGroupEvent(this.state, message, Date.now())
        if (t.outcome._tag === 'Ok') this.forget(message.memberId)
        this.finish(t, message.replyTo)
        break
      }
      case 'CommitOffsets':
        await this.durably(handleGroupEvent(this.state, message, Date.now()), message.replyTo, 'commit')
        break
      case 'FetchOffsets':
        this.finish(handleGroupEvent(this.state, message, Date.now()), message.replyTo)
        break
      case 'DescribeGroup':
        if (this.exists()) message.replyTo.reply(describeGroup(this.state))
        else message.replyTo.fail(new UnknownGroupError({ groupId: this.groupId }))
        break
      case 'DeleteGroup':
        await this.deleteGroup(message.replyTo, context)
        break
      case 'ResetOffsets':
        await this.resetOffsets(message)
        break
      case 'Private':
        await this.receivePrivate(message[PRIVATE])
        break
      default:
        absurd(message)
    }
    this.armTimer()
  }

  private async receivePrivate(message: PrivateMessage): Promise<void> {
    switch (message._tag) {
      case 'Tick':
        this.apply(handleGroupEvent(this.state, { _tag: 'Tick' }, Date.now()))
        return
      case 'HeartbeatWaitExpired':
        if (this.parked.takeIfCurrent(message.parked)) this.rerun(message.parked)
        return
      case 'TopicsChanged': {
        const { snapshot } = message
        if (snapshot.version <= this.topicsVersion) return
        this.topicsVersion = snapshot.version
        const t = handleGroupEvent(this.state, { _tag: 'TopicsChanged', partitionsPerTopic: snapshot.partitionsPerTopic }, Date.now())
        const records = recordsOf(t)
        // Nobody to answer: if the tombstones cannot be written, a restart writes them at start.
        if (records.length > 0) await appendOffsetRecords(this.options.offsetsPartition, records, Date.now())
        this.apply(t)
        return
      }
      default:
        absurd(message)
    }
  }

  private join(message: Extract<GroupMessage, { readonly _tag: 'JoinGroup' }>): void {
    const { assignor } = message
    const current = this.state.config.assignor
    let base = this.state
    if (assignor !== undefined && assignor.name !== current.name) {
      // Members whose session ran out do not hold the assignor choice: remove them first.
      if (this.state.members.size > 0) this.apply(handleGroupEvent(this.state, { _tag: 'Tick' }, Date.now()))
      if (this.state.members.size > 0) {
        return message.replyTo.fail(new InconsistentAssignorError({ groupId: this.groupId, requested: assignor.name, current: current.name }))
      }
      base = { ...this.state, config: { ...this.state.config, assignor } }
    }
    const t = handleGroupEvent(base, message, Date.now())
    // A failed join (a custom assignor that throws, say) leaves the group's assignor as it was.
    this.finish(t.outcome._tag === 'Ok' ? t : { ...t, state: this.state }, message.replyTo, (reply) => this.told.set(reply.memberId, reply))
  }

  private heartbeat(message: Extract<GroupMessage, { readonly _tag: 'Heartbeat' }>): void {
    const { memberId, generation, owned, waitMs, replyTo } = message
    const t = handleGroupEvent(this.state, message, Date.now())
    if (t.outcome._tag === 'Failed') return this.finish(t, replyTo)
    const reply = t.outcome.value
    const before = this.told.get(memberId)
    this.state = t.state
    // An earlier heartbeat still waiting learns the same news as this one.
    const earlier = this.parked.take(memberId)
    if (earlier !== undefined) this.send(earlier.replyTo, reply)
    const member = this.state.members.get(memberId)
    if (waitMs > 0 && before !== undefined && sameAssignment(before, reply) && member !== undefined) {
      const request: HeartbeatRequest = { _tag: 'Heartbeat', memberId, generation, owned }
      const waitFor = Math.min(waitMs, Math.floor(member.sessionTimeoutMs / 2), MAX_TIMER_MS)
      this.parked.park(request, replyTo, waitFor, (parked) => this.self?.tell(wrap({ _tag: 'HeartbeatWaitExpired', parked })))
    } else {
      this.send(replyTo, reply)
    }
    this.carryOut(t.effects)
  }

  /** Answers a parked heartbeat by running its request again now. */
  private rerun(parked: ParkedHeartbeat): void {
    this.finish(handleGroupEvent(this.state, parked.request, Date.now()), parked.replyTo, (reply) => this.told.set(reply.memberId, reply))
  }

  private async deleteGroup(replyTo: ReplyTo<void>, context: ActorContext<GroupCommand>): Promise<void> {
    if (!this.exists()) return replyTo.fail(new UnknownGroupError({ groupId: this.groupId }))
    const deleted = await this.durably(handleGroupEvent(this.state, { _tag: 'DeleteGroup' }, Date.now()), replyTo, 'delete group', () =>
      this.options.onDeleted?.(),
    )
    if (deleted) context.stopSelf()
  }

  private async resetOffsets(message: Extract<GroupMessage, { readonly _tag: 'ResetOffsets' }>): Promise<void> {
    const t = handleGroupEvent(this.state, { _tag: 'CommitOffsets', offsets: message.offsets }, Date.now())
    if (t.outcome._tag === 'Failed') {
      const { error } = t.outcome
      return message.replyTo.fail(error instanceof GroupNotEmptyError ? new GroupNotEmptyError({ ...error, operation: 'reset offsets' }) : error)
    }
    // All or nothing: a reset that cannot set every offset given sets none.
    const refused = t.outcome.value.results.find((result) => result.error !== undefined)
    if (refused?.error !== undefined) return message.replyTo.fail(refused.error)
    await this.durably({ ...t, outcome: { _tag: 'Ok', value: undefined } }, message.replyTo, 'reset offsets')
  }

  /**
   * Applies a transition whose offset records must be durable first, then replies (`before`
   * runs just ahead of the reply). Resolves false when the append failed: the request then fails
   * and nothing of the transition is kept.
   */
  private async durably<A>(t: Transition<A>, replyTo: ReplyTo<A>, operation: OffsetPersistenceError['operation'], before?: () => void): Promise<boolean> {
    const records = recordsOf(t)
    if (t.outcome._tag === 'Ok' && records.length > 0) {
      try {
        await appendOffsetRecords(this.options.offsetsPartition, records, Date.now())
      } catch (cause) {
        replyTo.fail(new OffsetPersistenceError({ groupId: this.groupId, operation, cause }))
        return false
      }
    }
    if (t.outcome._tag === 'Ok') before?.()
    this.finish(t, replyTo)
    return t.outcome._tag === 'Ok'
  }

  /** Takes the transition's state, answers with its outcome, and carries out its effects. */
  private finish<A>(t: Transition<A>, replyTo: ReplyTo<A>, onOk?: (value: A) => void): void {
    this.state = t.state
    this.answer(replyTo, t.outcome, onOk)
    this.carryOut(t.effects)
  }

  private apply(t: Transition<unknown>): void {
    this.state = t.state
    this.carryOut(t.effects)
  }

  private answer<A>(replyTo: ReplyTo<A>, outcome: Outcome<A>, onOk?: (value: A) => void): void {
    if (outcome._tag === 'Failed') return replyTo.fail(outcome.error)
    onOk?.(outcome.value)
    replyTo.reply(outcome.value)
  }

  private send(replyTo: ReplyTo<MemberAssignment>, reply: MemberAssignment): void {
    this.told.set(reply.memberId, reply)
    replyTo.reply(reply)
  }

  /** PersistOffsets was made durable before the transition was applied (see durably). */
  private carryOut(effects: readonly GroupEffect[]): void {
    for (const effect of effects) {
      switch (effect._tag) {
        case 'PersistOffsets':
          break
        case 'MembersRemoved':
          for (const { memberId } of effect.removals) this.forget(memberId)
          break
        case 'PromptHeartbeat':
          for (const memberId of effect.memberIds) {
            const parked = this.parked.take(memberId)
            if (parked !== undefined) this.rerun(parked)
          }
          break
        default:
          absurd(effect)
      }
    }
  }

  /** The member is gone: a heartbeat it left waiting fails as its next request would. */
  private forget(memberId: string): void {
    this.told.delete(memberId)
    this.parked.fail(memberId, new UnknownMemberError({ groupId: this.groupId, memberId }))
  }

  private exists(): boolean {
    return this.state.phase !== 'Dead' && (this.state.members.size > 0 || this.state.committed.size > 0)
  }

  private armTimer(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const deadline = nextDeadlineMs(this.state)
    if (deadline === undefined || this.self === undefined) return
    const self = this.self
    // One past the deadline: the pure tick removes a member only once its deadline has passed.
    const delay = Math.min(Math.max(0, deadline - Date.now()) + 1, MAX_TIMER_MS)
    this.timer = setTimeout(() => self.tell(wrap({ _tag: 'Tick' })), delay)
    this.timer.unref()
  }
}
