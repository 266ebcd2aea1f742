/**
 * A consumer group's state as the GroupCoordinatorActor holds it: an immutable value that the
 * pure transitions in membership.ts and offsets.ts turn into the next one. The phase is derived
 * from the members after every transition (see phaseOf), so it never disagrees with them.
 *
 * Generations: the group's generation rises by one on every change of membership (a join, a
 * leave, a removal, a static member's restart) and of what is to be assigned (subscriptions,
 * partition counts). Each member is at its own generation, at most the group's: it moves up to
 * the group's once it has given up every partition it was asked to revoke. Requests carry the
 * member's generation, and a request from an older one is refused (StaleGenerationError).
 */
import type { Assignor } from './assignor.js'
import { cooperativeStickyAssignor } from './assignors/cooperative-sticky.js'
import { sameTopicPartitions, topicPartitionKey, type TopicPartition } from './topic-partition.js'

/**
 * Empty: no members (committed offsets may remain). Reconciling: some member has partitions to
 * give up or to receive, or has not reached the group's generation. Stable: every member owns
 * exactly its target at the group's generation. Dead: the group was deleted.
 */
export type GroupPhase = 'Empty' | 'Reconciling' | 'Stable' | 'Dead'

export interface GroupConfig {
  readonly groupId: string
  readonly assignor: Assignor
  /** Told to members: how often to heartbeat when nothing prompts them sooner. */
  readonly heartbeatIntervalMs: number
  readonly minSessionTimeoutMs: number
  readonly maxSessionTimeoutMs: number
  /**
   * Part of every member id, so ids stay unique across coordinator restarts (membership is not
   * persisted): the actor passes a fresh value each time it starts the group.
   */
  readonly incarnation: string
}

export interface GroupMember {
  readonly memberId: string
  /** Set for a static member: a restart with the same instance id takes this member's place. */
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  /** Sorted, without duplicates. */
  readonly subscribedTopics: readonly string[]
  readonly generation: number
  /** What the member has been told it owns. */
  readonly assigned: readonly TopicPartition[]
  /** What it still owns but has been asked to give up (it may commit them until it does). */
  readonly pendingRevocation: readonly TopicPartition[]
  /** What the assignor wants it to own once reconciliation is done. */
  readonly target: readonly TopicPartition[]
  readonly sessionTimeoutMs: number
  readonly rebalanceTimeoutMs: number
  /** Removed when not heard from (join, heartbeat, commit) by then. */
  readonly sessionDeadlineMs: number
  /** Removed when it has not given up its pendingRevocation by then. */
  readonly revocationDeadlineMs: number | undefined
  /** A static member that left; it keeps its assignment until it rejoins or its session ends. */
  readonly away: boolean
}

export interface CommittedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly metadata: string
  readonly commitTimestampMs: number
}

export interface GroupState {
  readonly phase: GroupPhase
  readonly config: GroupConfig
  readonly generation: number
  /** By member id. */
  readonly members: ReadonlyMap<string, GroupMember>
  /** Partition counts of the topics the group may commit to and subscribe to. */
  readonly topics: ReadonlyMap<string, number>
  /** By topicPartitionKey. */
  readonly committed: ReadonlyMap<string, CommittedOffset>
  readonly nextMemberNumber: number
}

export interface NewGroupOptions {
  readonly groupId: string
  readonly incarnation: string
  /** Default: cooperative-sticky. */
  readonly assignor?: Assignor
  /** Default 3000. */
  readonly heartbeatIntervalMs?: number
  /** Default 1000. */
  readonly minSessionTimeoutMs?: number
  /** Default 1_800_000 (Kafka's group.max.session.timeout.ms). */
  readonly maxSessionTimeoutMs?: number
  readonly topics?: ReadonlyMap<string, number>
  /** Offsets restored from the offsets topic (see replayOffsetRecords). */
  readonly committed?: Iterable<CommittedOffset>
}

/** A group with no members: the state of a freshly started (or restarted) coordinator. */
export const newGroupState = (options: NewGroupOptions): GroupState => ({
  phase: 'Empty',
  config: {
    groupId: options.groupId,
    assignor: options.assignor ?? cooperativeStickyAssignor,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
    minSessionTimeoutMs: options.minSessionTimeoutMs ?? 1000,
    maxSessionTimeoutMs: options.maxSessionTimeoutMs ?? 1_800_000,
    incarnation: options.incarnation,
  },
  generation: 0,
  members: new Map(),
  topics: new Map(options.topics ?? []),
  committed: new Map([...(options.committed ?? [])].map((entry) => [topicPartitionKey(entry), entry])),
  nextMemberNumber: 1,
})

/** Whether the member owns exactly its target at the group's generation. */
export const isReconciled = (member: GroupMember, generation: number): boolean =>
  member.generation === generation && member.pendingRevocation.length === 0 && sameTopicPartitions(member.assigned, member.target)

/**
 * The phase of a live group with these members. An away static member does not hold the group
 * in Reconciling: it runs nothing, and what it loses meanwhile is taken from it at once.
 */
export const phaseOf = (members: ReadonlyMap<string, GroupMember>, generation: number): Exclude<GroupPhase, 'Dead'> => {
  if (members.size === 0) return 'Empty'
  for (const member of members.values()) if (!member.away && !isReconciled(member, generation)) return 'Reconciling'
  return 'Stable'
}

/** Everything the member owns in the coordinator's eyes: assigned and not yet given up. */
export const ownedBy = (member: GroupMember): TopicPartition[] => [...member.assigned, ...member.pendingRevocation]

/** The earliest time at which a Tick changes something; undefined when nothing is timed. */
export const nextDeadlineMs = (state: GroupState): number | undefined => {
  let next: number | undefined
  for (const member of state.members.values()) {
    for (const deadline of [member.sessionDeadlineMs, member.revocationDeadlineMs]) {
      if (deadline !== undefined && (next === undefined || deadline < next)) next = deadline
    }
  }
  return next
}
