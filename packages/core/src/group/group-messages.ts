/**
 * The coordinator's protocol as data: the requests a group handles, their replies, the effects
 * a transition asks its actor to carry out, and the Transition every pure handler returns. The
 * actor's handler calls one function per message (see handleGroupEvent), replies with the
 * outcome, carries out the effects, and sets its timer to nextDeadlineMs(state).
 */
import type { GroupRequestError, PartitionCommitError } from './group-errors.js'
import type { CommittedOffset, GroupState } from './group-state.js'
import type { OffsetRecord } from './offset-record.js'
import type { TopicPartition } from './topic-partition.js'

/** Who a member is, as a member states it in each request. */
export interface MemberIdentity {
  readonly memberId: string
  /** The generation of the member's last join or heartbeat reply. */
  readonly generation: number
}

export interface JoinGroupRequest {
  readonly _tag: 'JoinGroup'
  /** A static member's stable name; a join with the id of a present member replaces it. */
  readonly groupInstanceId?: string
  /** Goes into the member id; default "consumer". */
  readonly clientId?: string
  readonly subscribedTopics: readonly string[]
  readonly sessionTimeoutMs: number
  /** How long the member may take to give partitions up once asked. */
  readonly rebalanceTimeoutMs: number
}

/**
 * A member's periodic (or prompted) report. Its generation must be the one of its last reply:
 * any other removes the member (StaleGenerationError), which must then rejoin.
 */
export interface HeartbeatRequest extends MemberIdentity {
  readonly _tag: 'Heartbeat'
  /**
   * What the member holds now. Leaving out a partition it was asked to give up acknowledges
   * that it has; partitions it was never given are ignored.
   */
  readonly owned: readonly TopicPartition[]
  /** A new subscription; absent when unchanged. */
  readonly subscribedTopics?: readonly string[]
}

/** A dynamic member is removed at once; a static one is kept (away) until its session ends. */
export interface LeaveGroupRequest {
  readonly _tag: 'LeaveGroup'
  readonly memberId: string
}

export interface OffsetToCommit {
  readonly topic: string
  readonly partition: number
  /** The next offset to consume. */
  readonly offset: bigint
  readonly metadata?: string
}

export interface CommitOffsetsRequest {
  readonly _tag: 'CommitOffsets'
  /** Absent for a "simple" consumer that assigns itself partitions: allowed while the group is empty. */
  readonly member?: MemberIdentity
  readonly offsets: readonly OffsetToCommit[]
}

export interface FetchOffsetsRequest {
  readonly _tag: 'FetchOffsets'
  /** When present, the member must be current (a fenced member learns it here too). */
  readonly member?: MemberIdentity
  /** Absent: every committed offset of the group. */
  readonly partitions?: readonly TopicPartition[]
}

/** Sent by the actor's timer at nextDeadlineMs; removes members whose time ran out. */
export interface TickRequest {
  readonly _tag: 'Tick'
}

/** The partition counts of the cluster's topics changed (created, grown, deleted). */
export interface TopicsChangedRequest {
  readonly _tag: 'TopicsChanged'
  readonly partitionsPerTopic: ReadonlyMap<string, number>
}

/** Deletes an empty group and its committed offsets. */
export interface DeleteGroupRequest {
  readonly _tag: 'DeleteGroup'
}

export type GroupEvent =
  | JoinGroupRequest
  | HeartbeatRequest
  | LeaveGroupRequest
  | CommitOffsetsRequest
  | FetchOffsetsRequest
  | TickRequest
  | TopicsChangedRequest
  | DeleteGroupRequest

/** The answer to a join or heartbeat: the member's generation and what it may own now. */
export interface MemberAssignment {
  readonly memberId: string
  readonly generation: number
  /**
   * Everything the member may hold now. It gives up what it holds beyond this (committing first
   * if it likes) and says so in its next heartbeat; it starts consuming what is new.
   */
  readonly assignment: readonly TopicPartition[]
  readonly heartbeatIntervalMs: number
}

export interface PartitionCommitResult {
  readonly topic: string
  readonly partition: number
  /** Undefined: committed. */
  readonly error: PartitionCommitError | undefined
}

export interface CommitOffsetsReply {
  readonly results: readonly PartitionCommitResult[]
}

export interface FetchedOffset {
  readonly topic: string
  readonly partition: number
  /** Undefined when nothing was committed for the partition. */
  readonly committed: CommittedOffset | undefined
}

export interface FetchOffsetsReply {
  readonly offsets: readonly FetchedOffset[]
}

export interface GroupReplies {
  readonly JoinGroup: MemberAssignment
  readonly Heartbeat: MemberAssignment
  readonly LeaveGroup: void
  readonly CommitOffsets: CommitOffsetsReply
  readonly FetchOffsets: FetchOffsetsReply
  readonly Tick: void
  readonly TopicsChanged: void
  readonly DeleteGroup: void
}

export type RemovalReason = 'left' | 'session-timeout' | 'rebalance-timeout' | 'fenced' | 'replaced'

export interface MemberRemoval {
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  readonly reason: RemovalReason
}

export type GroupEffect =
  /** Append to the offsets topic; reply to the request only once they are durable. */
  | { readonly _tag: 'PersistOffsets'; readonly records: readonly OffsetRecord[] }
  /**
   * These members have partitions to give up or to receive: telling them to heartbeat now
   * makes a rebalance take round trips instead of heartbeat intervals.
   */
  | { readonly _tag: 'PromptHeartbeat'; readonly memberIds: readonly string[] }
  /** These members are gone (their next request fails with UnknownMemberError). */
  | { readonly _tag: 'MembersRemoved'; readonly removals: readonly MemberRemoval[] }

export type Outcome<A> =
  | { readonly _tag: 'Ok'; readonly value: A }
  | { readonly _tag: 'Failed'; readonly error: GroupRequestError }

export interface Transition<A> {
  readonly state: GroupState
  readonly outcome: Outcome<A>
  readonly effects: readonly GroupEffect[]
}
