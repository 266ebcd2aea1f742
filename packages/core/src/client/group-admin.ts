/**
 * The admin's consumer-group operations: list, describe (members, committed offsets, log end and
 * lag per partition), reset offsets, delete. Failures are the coordinator's and broker's typed
 * errors as they are: UnknownGroupError, GroupNotEmptyError, InvalidGroupIdError,
 * UnknownTopicError, UnknownPartitionError, InvalidOffsetError.
 */
import type { GroupListing } from '../broker/broker-protocol.js'
import { UnknownPartitionError } from '../errors.js'
import { InvalidOffsetError } from '../group/group-errors.js'
import type { OffsetToCommit } from '../group/group-messages.js'
import type { GroupPhase } from '../group/group-state.js'
import type { ClusterConnection } from './cluster-connection.js'
import { CoordinatorLink } from './coordinator-link.js'
import { InvalidArgumentError } from './errors.js'
import { listOffset, offsetAtOrAfter } from './list-offsets.js'
import { keyOf } from './offset-committer.js'
import type { TopicPartition } from './records.js'
import { unwrapActorFailure } from './retry.js'
import { type TopicLike, topicName } from './topic.js'

export type { GroupListing }

export interface GroupMemberDescription {
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  /** What the member holds now (including partitions it is giving up). */
  readonly assignment: readonly TopicPartition[]
}

export interface GroupPartitionOffsets {
  readonly topic: string
  readonly partition: number
  /** The next offset the group will read; undefined when nothing was committed. */
  readonly committed: bigint | undefined
  /** The partition's high watermark; undefined when the topic is gone. */
  readonly logEnd: bigint | undefined
  /** logEnd - committed, when both are known. */
  readonly lag: bigint | undefined
}

export interface ConsumerGroupDescription {
  readonly groupId: string
  readonly state: GroupPhase
  readonly generation: number
  readonly assignor: string
  readonly members: readonly GroupMemberDescription[]
  /** Every partition with a committed offset or an owner, by topic and partition. */
  readonly offsets: readonly GroupPartitionOffsets[]
}

/** Where a reset puts the committed offsets: a log end, the first record at or after a time, or an offset. */
export type ResetTo = 'earliest' | 'latest' | { readonly timestamp: number } | { readonly offset: bigint | number }

export interface ResetOffsetsSpec {
  readonly topic: TopicLike
  readonly to: ResetTo
  /** Default: every partition of the topic. */
  readonly partitions?: readonly number[]
}

export class GroupAdmin {
  constructor(
    private readonly connection: ClusterConnection,
    private readonly requestTimeoutMs: number,
  ) {}

  /** Groups with members or committed offsets, by group id. */
  async listGroups(): Promise<readonly GroupListing[]> {
    return this.connection.broker.ask((replyTo) => ({ _tag: 'ListGroups', replyTo }), { timeoutMs: this.requestTimeoutMs }).catch(rethrow)
  }

  async describeGroup(groupId: string): Promise<ConsumerGroupDescription> {
    const link = this.link(groupId)
    const description = await link.ask((replyTo) => ({ _tag: 'DescribeGroup', replyTo }))
    const { offsets } = await link.ask((replyTo) => ({ _tag: 'FetchOffsets', replyTo }))
    const members = description.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      assignment: [...member.assigned, ...member.pendingRevocation],
    }))
    const partitions = new Map<string, { topic: string; partition: number; committed: bigint | undefined }>()
    for (const { topic, partition, committed } of offsets) partitions.set(keyOf(topic, partition), { topic, partition, committed: committed?.offset })
    for (const tp of members.flatMap((member) => member.assignment)) {
      if (!partitions.has(keyOf(tp.topic, tp.partition))) partitions.set(keyOf(tp.topic, tp.partition), { ...tp, committed: undefined })
    }
    const sorted = [...partitions.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    const ends = await this.logEnds(sorted)
    return {
      groupId,
      state: description.phase,
      generation: description.generation,
      assignor: description.assignor,
      members,
      offsets: sorted.map((entry) => {
        const logEnd = ends.get(keyOf(entry.topic, entry.partition))
        const lag = logEnd !== undefined && entry.committed !== undefined ? logEnd - entry.committed : undefined
        return { ...entry, logEnd, lag }
      }),
    }
  }

  /**
   * Sets the committed offsets of a group that is not running (GroupNotEmptyError otherwise);
   * returns what was set. An offset beyond either end of the log is moved to that end, as Kafka does.
   */
  async resetOffsets(groupId: string, spec: ResetOffsetsSpec): Promise<readonly OffsetToCommit[]> {
    const topic = topicName(spec.topic)
    const metadata = await this.connection.broker
      .ask((replyTo) => ({ _tag: 'Metadata', topic, autoCreate: false, replyTo }), { timeoutMs: this.requestTimeoutMs })
      .catch(rethrow)
    const partitionCount = metadata.partitionCount
    const partitions = spec.partitions ?? Array.from({ length: partitionCount }, (_, n) => n)
    for (const partition of partitions) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) throw new UnknownPartitionError({ topic, partition, partitionCount })
    }
    const offsets = await Promise.all(
      partitions.map(async (partition): Promise<OffsetToCommit> => {
        const leader = this.connection.partition(metadata.partitionLeaders[partition])
        const list = (spec: 'earliest' | 'latest') => listOffset(leader, spec, this.requestTimeoutMs)
        const { to } = spec
        if (to === 'earliest' || to === 'latest') return { topic, partition, offset: (await list(to))! }
        if (typeof to === 'object' && to !== null && 'timestamp' in to && Number.isFinite(to.timestamp)) {
          return { topic, partition, offset: await offsetAtOrAfter(leader, to.timestamp, this.requestTimeoutMs) }
        }
        if (typeof to === 'object' && to !== null && 'offset' in to) {
          const { offset } = to
          const valid = (typeof offset === 'bigint' && offset >= 0n) || (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0)
          if (!valid) throw new InvalidOffsetError({ groupId, topic, partition, offset })
          const [start, end] = [(await list('earliest'))!, (await list('latest'))!]
          const wanted = BigInt(offset)
          return { topic, partition, offset: wanted < start ? start : wanted > end ? end : wanted }
        }
        throw new InvalidArgumentError({ call: 'resetOffsets', argument: 'to', value: to, allowed: "'earliest', 'latest', { timestamp } or { offset }" })
      }),
    )
    await this.link(groupId).ask((replyTo) => ({ _tag: 'ResetOffsets', offsets, replyTo }))
    return offsets
  }

  /** Deletes a group without members, and its committed offsets. */
  async deleteGroup(groupId: string): Promise<void> {
    await this.link(groupId).ask((replyTo) => ({ _tag: 'DeleteGroup', replyTo }))
  }

  private link(groupId: string): CoordinatorLink {
    return new CoordinatorLink(this.connection, groupId, this.requestTimeoutMs)
  }

  /** Each partition's high watermark, by key; topics that are gone are left out. */
  private async logEnds(partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
    const ends = new Map<string, bigint>()
    const topics = [...new Set(partitions.map(({ topic }) => topic))]
    await Promise.all(
      topics.map(async (topic) => {
        let leaders
        try {
          const metadata = await this.connection.broker.ask((replyTo) => ({ _tag: 'Metadata', topic, autoCreate: false, replyTo }), { timeoutMs: this.requestTimeoutMs })
          leaders = metadata.partitionLeaders
        } catch (error) {
          if ((unwrapActorFailure(error) as { readonly _tag?: unknown } | null)?._tag === 'UnknownTopicError') return
          throw unwrapActorFailure(error)
        }
        await Promise.all(
          partitions
            .filter((tp) => tp.topic === topic && tp.partition < leaders.length)
            .map(async ({ partition }) => {
              const leader = this.connection.partition(leaders[partition])
              const end = await leader.ask((replyTo) => ({ _tag: 'ListOffset', spec: 'latest', replyTo }), { timeoutMs: this.requestTimeoutMs }).catch(rethrow)
              if (end !== undefined) ends.set(keyOf(topic, partition), end)
            }),
        )
      }),
    )
    return ends
  }
}

const rethrow = (error: unknown): never => {
  throw unwrapActorFailure(error)
}
