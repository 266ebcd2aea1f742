/**
 * What a GroupCoordinatorActor answers: one actor per consumer group, at
 * `<cluster>.<node>.group.<groupId>`, found through the broker's FindCoordinator. Each request is
 * the pure core's request (group-messages.ts) plus a typed reply handle.
 */
import type { ReplyTo } from '../actor/actor-ref.js'
import type { Assignor } from './assignor.js'
import type { GroupDescription } from './group-coordinator.js'
import type {
  CommitOffsetsReply,
  CommitOffsetsRequest,
  FetchOffsetsReply,
  FetchOffsetsRequest,
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  MemberAssignment,
  OffsetToCommit,
} from './group-messages.js'

export type GroupMessage =
  /**
   * `assignor`: the assignor the member wants. The first member of an empty group chooses it for
   * the group; a later member naming another fails with InconsistentAssignorError. Absent: the
   * group's current one (cooperative-sticky for a new group).
   */
  | (JoinGroupRequest & { readonly assignor?: Assignor; readonly replyTo: ReplyTo<MemberAssignment> })
  /**
   * A long-poll heartbeat: answered at once when the member has something to do (partitions to
   * give up or to take), otherwise parked until that happens or `waitMs` passes. A rebalance then
   * costs round trips, not heartbeat intervals, and nobody polls.
   */
  | (HeartbeatRequest & { readonly waitMs: number; readonly replyTo: ReplyTo<MemberAssignment> })
  | (LeaveGroupRequest & { readonly replyTo: ReplyTo<void> })
  | (CommitOffsetsRequest & { readonly replyTo: ReplyTo<CommitOffsetsReply> })
  | (FetchOffsetsRequest & { readonly replyTo: ReplyTo<FetchOffsetsReply> })
  | { readonly _tag: 'DescribeGroup'; readonly replyTo: ReplyTo<GroupDescription> }
  /** Deletes an empty group and its committed offsets (GroupNotEmptyError otherwise). */
  | { readonly _tag: 'DeleteGroup'; readonly replyTo: ReplyTo<void> }
  /** Sets committed offsets of a group that is not running (GroupNotEmptyError otherwise). */
  | { readonly _tag: 'ResetOffsets'; readonly offsets: readonly OffsetToCommit[]; readonly replyTo: ReplyTo<void> }
