/**
 * For coordinator tests: a TestMember that speaks the coordinator's protocol the way a
 * well-behaved consumer does, and small asks and views of a coordinator's state.
 */
import type { ActorRef } from '../../actor/actor-ref.js'
import type { CommitOffsetsReply, MemberAssignment, OffsetToCommit } from '../group-messages.js'
import type { GroupMessage } from '../group-protocol.js'
import type { TopicPartition } from '../topic-partition.js'

export const offsets = (...entries: readonly [string, number, bigint][]): OffsetToCommit[] =>
  entries.map(([topic, partition, offset]) => ({ topic, partition, offset }))

/** A consumer as the coordinator sees one: it holds exactly what its last reply assigned. */
export class TestMember {
  memberId = ''
  generation = 0
  assignment: readonly TopicPartition[] = []

  constructor(private readonly coordinator: ActorRef<GroupMessage>) {}

  async join(subscribedTopics: readonly string[], extra: { sessionTimeoutMs?: number; groupInstanceId?: string } = {}): Promise<MemberAssignment> {
    const reply = await this.coordinator.ask((replyTo) => ({
      _tag: 'JoinGroup',
      subscribedTopics,
      sessionTimeoutMs: extra.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: 5_000,
      ...(extra.groupInstanceId === undefined ? {} : { groupInstanceId: extra.groupInstanceId }),
      replyTo,
    }))
    return this.told(reply)
  }

  /** A heartbeat reporting what it holds; with `waitMs` a long poll. */
  async heartbeat(waitMs = 0): Promise<MemberAssignment> {
    const { memberId, generation, assignment: owned } = this
    return this.told(await this.coordinator.ask((replyTo) => ({ _tag: 'Heartbeat', memberId, generation, owned, waitMs, replyTo })))
  }

  commit(...entries: readonly [string, number, bigint][]): Promise<CommitOffsetsReply> {
    const member = { memberId: this.memberId, generation: this.generation }
    return this.coordinator.ask((replyTo) => ({ _tag: 'CommitOffsets', member, offsets: offsets(...entries), replyTo }))
  }

  leave(): Promise<void> {
    return this.coordinator.ask((replyTo) => ({ _tag: 'LeaveGroup', memberId: this.memberId, replyTo }))
  }

  private told(reply: MemberAssignment): MemberAssignment {
    this.memberId = reply.memberId
    this.generation = reply.generation
    this.assignment = reply.assignment
    return reply
  }
}

/** Every member heartbeats (no waiting) until the group is Stable. */
export const converge = async (coordinator: ActorRef<GroupMessage>, members: readonly TestMember[]): Promise<void> => {
  for (let round = 0; round < 10; round++) {
    const { phase } = await coordinator.ask((replyTo) => ({ _tag: 'DescribeGroup', replyTo }))
    if (phase === 'Stable') return
    for (const member of members) await member.heartbeat()
  }
  throw new Error('the group did not become Stable')
}

export const describeOf = (coordinator: ActorRef<GroupMessage>) => coordinator.ask((replyTo) => ({ _tag: 'DescribeGroup', replyTo }))

export const fetchOffsets = (coordinator: ActorRef<GroupMessage>) => coordinator.ask((replyTo) => ({ _tag: 'FetchOffsets', replyTo }))

/** The committed offsets as `topic-partition=offset` text, sorted, for toEqual. */
export const committedText = async (coordinator: ActorRef<GroupMessage>): Promise<string[]> =>
  (await fetchOffsets(coordinator)).offsets.map((o) => `${o.topic}-${o.partition}=${o.committed?.offset}`)

export const specs = (tps: readonly TopicPartition[]): string => tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')
