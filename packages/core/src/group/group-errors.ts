/**
 * The errors a consumer-group member or admin can meet from the group coordinator, each carrying
 * its facts. Request-level errors fail the whole request; the commit errors are per partition
 * and sit in the commit reply as data beside the partitions that were committed.
 */
import { Data } from 'effect'

/** The group was deleted (or never existed where the caller expected one). */
export class UnknownGroupError extends Data.TaggedError('UnknownGroupError')<{ readonly groupId: string }> {
  override get message(): string {
    return `unknown consumer group "${this.groupId}"`
  }
}

/**
 * The member id is not in the group: it never joined, left, was replaced by a restart of the same
 * static instance, or was removed after its session or rebalance timeout. The consumer must
 * drop its partitions without committing and join again.
 */
export class UnknownMemberError extends Data.TaggedError('UnknownMemberError')<{
  readonly groupId: string
  readonly memberId: string
}> {
  override get message(): string {
    return `member "${this.memberId}" is not in group "${this.groupId}"; join the group again`
  }
}

/**
 * A request carrying a generation other than the one the coordinator holds for that member: a
 * delayed commit sent before the member gave partitions up, or a member that missed replies.
 * A heartbeat refused this way also removes the member (it must rejoin).
 */
export class StaleGenerationError extends Data.TaggedError('StaleGenerationError')<{
  readonly groupId: string
  readonly memberId: string
  readonly givenGeneration: number
  readonly currentGeneration: number
}> {
  override get message(): string {
    return `member "${this.memberId}" of group "${this.groupId}" sent generation ${this.givenGeneration}, but it is at generation ${this.currentGeneration}`
  }
}

/** A commit for a partition the member does not own in its current generation. */
export class NotOwnedPartitionError extends Data.TaggedError('NotOwnedPartitionError')<{
  readonly groupId: string
  readonly memberId: string
  readonly topic: string
  readonly partition: number
}> {
  override get message(): string {
    return `member "${this.memberId}" of group "${this.groupId}" does not own ${this.topic}-${this.partition}`
  }
}

/** A committed offset must be a bigint from 0 to 2^63-1. */
export class InvalidOffsetError extends Data.TaggedError('InvalidOffsetError')<{
  readonly groupId: string
  readonly topic: string
  readonly partition: number
  readonly offset: unknown
}> {
  override get message(): string {
    const shown = typeof this.offset === 'bigint' ? `${this.offset}` : JSON.stringify(this.offset)
    return `invalid offset ${shown} for ${this.topic}-${this.partition} in group "${this.groupId}": offsets are bigints from 0 to 2^63-1`
  }
}

/** A commit for a topic that does not exist (or was deleted), or for a partition beyond its count. */
export class UnknownTopicForCommitError extends Data.TaggedError('UnknownTopicForCommitError')<{
  readonly groupId: string
  readonly topic: string
  readonly partition: number
  /** The topic's partition count when the topic exists; undefined when it does not. */
  readonly partitionCount: number | undefined
}> {
  override get message(): string {
    return this.partitionCount === undefined
      ? `cannot commit ${this.topic}-${this.partition} for group "${this.groupId}": topic "${this.topic}" does not exist`
      : `cannot commit ${this.topic}-${this.partition} for group "${this.groupId}": the topic has ${this.partitionCount} partitions`
  }
}

/**
 * An operation only an empty group allows: a commit without a member (a "simple" consumer that
 * assigns partitions itself), or deleting the group.
 */
export class GroupNotEmptyError extends Data.TaggedError('GroupNotEmptyError')<{
  readonly groupId: string
  readonly memberCount: number
  readonly operation: 'commit without a member' | 'delete group' | 'reset offsets'
}> {
  override get message(): string {
    const what = { 'commit without a member': 'commit without a member id to', 'delete group': 'delete', 'reset offsets': 'reset the offsets of' }
    return `cannot ${what[this.operation]} group "${this.groupId}": it has ${this.memberCount} active members`
  }
}

/** A join or heartbeat whose settings are out of bounds; `field` names the setting. */
export class InvalidGroupRequestError extends Data.TaggedError('InvalidGroupRequestError')<{
  readonly groupId: string
  readonly field: string
  readonly value: unknown
  readonly reason: string
}> {
  override get message(): string {
    return `invalid ${this.field}=${JSON.stringify(this.value)} for group "${this.groupId}": ${this.reason}`
  }
}

/** An assignor (usually a custom one) returned an assignment that breaks the Assignor contract. */
export class InvalidAssignmentError extends Data.TaggedError('InvalidAssignmentError')<{
  readonly assignor: string
  readonly reason: string
}> {
  override get message(): string {
    return `assignor "${this.assignor}" returned an invalid assignment: ${this.reason}`
  }
}

/** Bytes read back from the offsets topic that are not an offset record. */
export class InvalidOffsetRecordError extends Data.TaggedError('InvalidOffsetRecordError')<{
  readonly reason: string
}> {
  override get message(): string {
    return `invalid offset commit record: ${this.reason}`
  }
}

/** A group id the coordinator cannot take: it must be a non-empty string. */
export class InvalidGroupIdError extends Data.TaggedError('InvalidGroupIdError')<{
  readonly groupId: unknown
  readonly reason: string
}> {
  override get message(): string {
    return `invalid consumer group id ${JSON.stringify(this.groupId)}: ${this.reason}`
  }
}

/**
 * A join naming another assignor than the one the group's present members use. The first member
 * of an empty group chooses the assignor; the others must agree (Kafka's INCONSISTENT_GROUP_PROTOCOL).
 */
export class InconsistentAssignorError extends Data.TaggedError('InconsistentAssignorError')<{
  readonly groupId: string
  readonly requested: string
  readonly current: string
}> {
  override get message(): string {
    return `group "${this.groupId}" uses assignor "${this.current}"; a member asking for "${this.requested}" cannot join until the group is empty`
  }
}

/**
 * Offset records could not be made durable in the offsets topic: the commit, reset or deletion did
 * not happen (the group keeps the offsets it had), and may be retried.
 */
export class OffsetPersistenceError extends Data.TaggedError('OffsetPersistenceError')<{
  readonly groupId: string
  readonly operation: 'commit' | 'reset offsets' | 'delete group'
  readonly cause: unknown
}> {
  override get message(): string {
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `could not ${this.operation === 'commit' ? 'commit offsets' : this.operation} for group "${this.groupId}": writing to the offsets topic failed: ${cause}`
  }
}

/** What a single partition of a commit can fail with. */
export type PartitionCommitError = NotOwnedPartitionError | InvalidOffsetError | UnknownTopicForCommitError

/** What a group request as a whole can fail with. */
export type GroupRequestError =
  | UnknownGroupError
  | UnknownMemberError
  | StaleGenerationError
  | GroupNotEmptyError
  | InvalidGroupRequestError
  | InvalidAssignmentError
