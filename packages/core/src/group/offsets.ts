/**
 * Offset transitions of the group coordinator: commit, fetch, and deleting the group. A commit
 * is accepted from the member at its current generation for partitions it owns (including those
 * it is giving up, which it commits before letting go), or, while the group has no members, from
 * a "simple" consumer that names no member. Each partition is judged on its own: the reply lists
 * per-partition errors as data, and the accepted ones are committed and persisted.
 */
import { GroupDraft, refuse } from './group-draft.js'
import {
  GroupNotEmptyError,
  InvalidOffsetError,
  NotOwnedPartitionError,
  StaleGenerationError,
  UnknownGroupError,
  UnknownMemberError,
  UnknownTopicForCommitError,
  type PartitionCommitError,
} from './group-errors.js'
import type {
  CommitOffsetsReply,
  CommitOffsetsRequest,
  FetchOffsetsReply,
  FetchOffsetsRequest,
  MemberIdentity,
  OffsetToCommit,
  PartitionCommitResult,
  Transition,
} from './group-messages.js'
import { ownedBy, type GroupMember, type GroupState } from './group-state.js'
import { compareTopicPartitions, keySet, topicPartitionKey } from './topic-partition.js'

/** Kafka offsets are signed 64-bit. */
const MAX_OFFSET = 2n ** 63n - 1n

/** The member a request names, if it is present and at the generation the request states. */
const currentMember = (draft: GroupDraft, identity: MemberIdentity): GroupMember | UnknownMemberError | StaleGenerationError => {
  const { groupId } = draft
  const member = draft.members.get(identity.memberId)
  if (member === undefined || member.away) return new UnknownMemberError({ groupId, memberId: identity.memberId })
  if (member.generation !== identity.generation) {
    return new StaleGenerationError({ groupId, memberId: member.memberId, givenGeneration: identity.generation, currentGeneration: member.generation })
  }
  return member
}

const partitionError = (draft: GroupDraft, entry: OffsetToCommit, owned: ReadonlySet<string> | undefined, memberId: string): PartitionCommitError | undefined => {
  const { groupId } = draft
  const { topic, partition, offset } = entry
  const partitionCount = draft.topics.get(topic)
  if (partitionCount === undefined || !Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    return new UnknownTopicForCommitError({ groupId, topic, partition, partitionCount })
  }
  if (typeof offset !== 'bigint' || offset < 0n || offset > MAX_OFFSET) return new InvalidOffsetError({ groupId, topic, partition, offset })
  if (owned !== undefined && !owned.has(topicPartitionKey(entry))) return new NotOwnedPartitionError({ groupId, memberId, topic, partition })
  return undefined
}

export const commitOffsets = (state: GroupState, request: CommitOffsetsRequest, nowMs: number): Transition<CommitOffsetsReply> => {
  const { groupId } = state.config
  if (state.phase === 'Dead') return refuse(state, new UnknownGroupError({ groupId }))
  // Through a draft, so a member whose session ran out is removed before it can commit.
  const draft = new GroupDraft(state, nowMs)
  let owned: ReadonlySet<string> | undefined
  if (request.member !== undefined) {
    const member = currentMember(draft, request.member)
    if ('_tag' in member) return draft.finish({ _tag: 'Failed', error: member })
    owned = keySet(ownedBy(member))
    // A commit is a sign of life, but not an answer to prompts: assignments do not change.
    draft.members.set(member.memberId, { ...member, sessionDeadlineMs: nowMs + member.sessionTimeoutMs })
  } else if (draft.members.size > 0) {
    return draft.finish({ _tag: 'Failed', error: new GroupNotEmptyError({ groupId, memberCount: draft.members.size, operation: 'commit without a member' }) })
  }
  const memberId = request.member?.memberId ?? ''
  const results: PartitionCommitResult[] = request.offsets.map((entry) => {
    const error = partitionError(draft, entry, owned, memberId)
    const { topic, partition, offset } = entry
    if (error === undefined) {
      const metadata = entry.metadata ?? ''
      draft.writableCommitted().set(topicPartitionKey(entry), { topic, partition, offset, metadata, commitTimestampMs: nowMs })
      draft.records.push({ _tag: 'OffsetCommitted', groupId, topic, partition, offset, metadata, commitTimestampMs: nowMs })
    }
    return { topic, partition, error }
  })
  return draft.finish({ _tag: 'Ok', value: { results } })
}

export const fetchOffsets = (state: GroupState, request: FetchOffsetsRequest, nowMs: number): Transition<FetchOffsetsReply> => {
  if (state.phase === 'Dead') return refuse(state, new UnknownGroupError({ groupId: state.config.groupId }))
  const draft = new GroupDraft(state, nowMs)
  if (request.member !== undefined) {
    const member = currentMember(draft, request.member)
    if ('_tag' in member) return draft.finish({ _tag: 'Failed', error: member })
  }
  const partitions = request.partitions ?? [...draft.committed.values()]
  const offsets = [...partitions].sort(compareTopicPartitions).map(({ topic, partition }) => ({
    topic,
    partition,
    committed: draft.committed.get(topicPartitionKey({ topic, partition })),
  }))
  return draft.finish({ _tag: 'Ok', value: { offsets } })
}

/** Deletes a group without members: its committed offsets get tombstones, and it is Dead. */
export const deleteGroup = (state: GroupState, nowMs: number): Transition<void> => {
  const { groupId } = state.config
  if (state.phase === 'Dead') return refuse(state, new UnknownGroupError({ groupId }))
  const draft = new GroupDraft(state, nowMs)
  if (draft.members.size > 0) {
    return draft.finish({ _tag: 'Failed', error: new GroupNotEmptyError({ groupId, memberCount: draft.members.size, operation: 'delete group' }) })
  }
  for (const { topic, partition } of draft.committed.values()) draft.records.push({ _tag: 'OffsetDeleted', groupId, topic, partition })
  draft.dead = true
  return draft.finish({ _tag: 'Ok', value: undefined })
}
