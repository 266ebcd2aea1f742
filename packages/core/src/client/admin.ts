/**
 * Admin: thin asks to the broker for creating, describing, growing, configuring and deleting
 * topics, and to group coordinators for consumer groups (group-admin.ts). Failures are the
 * broker's and coordinators' own typed errors (UnknownTopicError, TopicExistsError,
 * InvalidPartitionCountError, InvalidLogConfigError, UnknownGroupError, ...), passed through.
 */
import { Schema } from 'effect'
import type { ActorRef, ReplyTo } from '../actor/actor-ref.js'
import type { BrokerMessage, TopicConfig, TopicDescription, TopicMetadata } from '../broker/broker-protocol.js'
import type { ClusterConnection } from './cluster-connection.js'
import { ClosedError, TopicExistsError } from '../errors.js'
import { unknownKeyReason } from '@rivulet/storage/internal'
import { createTopicArguments, topicArgument, topicConfigArgument } from './admin-arguments.js'
import { InvalidArgumentError, InvalidClientOptionError } from './errors.js'
import { type ConsumerGroupDescription, GroupAdmin, type GroupListing, type ResetOffsetsSpec } from './group-admin.js'
import type { OffsetToCommit } from '../group/group-messages.js'
import { offsetAtOrAfter } from './list-offsets.js'
import { unwrapActorFailure } from './retry.js'
import type { TopicLike } from './topic.js'

export interface AdminOptions {
  /** Default 30000. */
  readonly requestTimeoutMs?: number
}

export interface CreateTopicOptions {
  /** Default: the broker's defaultPartitions (1 unless configured), as in Kafka. */
  readonly partitions?: number
  /** 1, or -1 for the broker's default (1): a single node holds one replica of each partition. */
  readonly replicationFactor?: number
  /** Overrides of the broker's default topic config (retentionMs, segmentBytes, ...). */
  readonly config?: TopicConfig
  /**
   * With true, a topic that already exists is not an error (Kafka's `--if-not-exists`): the call
   * answers with the existing topic's metadata and leaves its partitions and config as they are.
   */
  readonly ifNotExists?: boolean
}

const RequestTimeoutMs = Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(2 ** 31 - 1))

/** A partition's offset, as offsetsForTimestamp answers. */
export interface PartitionOffset {
  readonly partition: number
  readonly offset: bigint
}

type BrokerRequest = Extract<BrokerMessage, { readonly replyTo: unknown }>

export class Admin {
  private readonly broker: ActorRef<BrokerMessage>
  private readonly connection: ClusterConnection
  private readonly requestTimeoutMs: number
  private readonly groups: GroupAdmin
  private closed = false

  constructor(connection: ClusterConnection, options: AdminOptions = {}) {
    this.broker = connection.broker
    this.connection = connection
    const { requestTimeoutMs = 30_000, ...unknown } = options
    const extra = Object.keys(unknown)[0]
    if (extra !== undefined) {
      const reason = unknownKeyReason('option', extra, ['requestTimeoutMs'])
      throw new InvalidClientOptionError({ client: 'admin', option: extra, value: (unknown as Record<string, unknown>)[extra], reason })
    }
    try {
      this.requestTimeoutMs = Schema.decodeUnknownSync(RequestTimeoutMs)(requestTimeoutMs)
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message.split('\n')[0]! : String(cause)
      throw new InvalidClientOptionError({ client: 'admin', option: 'requestTimeoutMs', value: requestTimeoutMs, reason })
    }
    this.groups = new GroupAdmin(connection, this.requestTimeoutMs)
  }

  /**
   * Creates a topic with `options.partitions` partitions, or without it the broker's
   * defaultPartitions. A wrong argument type is an InvalidArgumentError naming it. An existing
   * topic is a TopicExistsError, or with `ifNotExists` the existing topic's metadata.
   */
  createTopic(topic: TopicLike, options?: CreateTopicOptions): Promise<TopicMetadata> {
    return this.checked(
      () => ({ name: topicArgument('createTopic', topic), ...createTopicArguments(options) }),
      ({ name, partitions, config, ifNotExists }) =>
        this.ask<TopicMetadata>((replyTo) => ({ _tag: 'CreateTopic', name, partitions, config, replyTo })).catch((error: unknown) => {
          if (!(ifNotExists && error instanceof TopicExistsError)) throw error
          return this.ask<TopicMetadata>((replyTo) => ({ _tag: 'Metadata', topic: name, autoCreate: false, replyTo }))
        }),
    )
  }

  deleteTopic(topic: TopicLike): Promise<void> {
    return this.checked(() => topicArgument('deleteTopic', topic), (name) => this.ask<void>((replyTo) => ({ _tag: 'DeleteTopic', name, replyTo })))
  }

  /** Topic names, sorted. */
  listTopics(): Promise<readonly string[]> {
    return this.ask<readonly string[]>((replyTo) => ({ _tag: 'ListTopics', replyTo }))
  }

  /** The topic's config and each partition's log start and end offsets, size and segments. */
  describeTopic(topic: TopicLike): Promise<TopicDescription> {
    return this.checked(() => topicArgument('describeTopic', topic), (name) => this.ask<TopicDescription>((replyTo) => ({ _tag: 'DescribeTopic', name, replyTo })))
  }

  /** Raises the partition count to `totalCount`; partitions are never removed. */
  createPartitions(topic: TopicLike, totalCount: number): Promise<TopicMetadata> {
    return this.checked(() => topicArgument('createPartitions', topic), (name) => this.ask<TopicMetadata>((replyTo) => ({ _tag: 'CreatePartitions', name, totalCount, replyTo })))
  }

  /** Merges `config` into the topic's overrides (null drops one, back to the broker default). */
  alterTopicConfig(topic: TopicLike, config: TopicConfig): Promise<void> {
    return this.checked(
      () => ({ name: topicArgument('alterTopicConfig', topic), config: topicConfigArgument('alterTopicConfig', 'config', config) }),
      (checked) => this.ask<void>((replyTo) => ({ _tag: 'AlterTopicConfig', ...checked, replyTo })),
    )
  }

  /** The topic's partitions and where their leaders are. */
  metadata(topic: TopicLike): Promise<TopicMetadata> {
    return this.checked(() => topicArgument('metadata', topic), (name) => this.ask<TopicMetadata>((replyTo) => ({ _tag: 'Metadata', topic: name, autoCreate: false, replyTo })))
  }

  /**
   * Per partition, the first offset whose record's timestamp is at or after `timestamp` (ms since
   * the epoch), or the log end when no record is (KafkaJS's fetchTopicOffsetsByTimestamp).
   */
  offsetsForTimestamp(topic: TopicLike, timestamp: number): Promise<readonly PartitionOffset[]> {
    return this.checked(
      () => {
        if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
          throw new InvalidArgumentError({ call: 'offsetsForTimestamp', argument: 'timestamp', value: timestamp, allowed: 'milliseconds since the epoch (a whole number >= 0)' })
        }
        return topicArgument('offsetsForTimestamp', topic)
      },
      async (name) => {
        const metadata = await this.metadata(name)
        return Promise.all(
          metadata.partitionLeaders.map(
            async (path, partition): Promise<PartitionOffset> => ({ partition, offset: await offsetAtOrAfter(this.connection.partition(path), timestamp, this.requestTimeoutMs) }),
          ),
        )
      },
    )
  }

  /** Consumer groups with members or committed offsets, by group id, with their state. */
  listGroups(): Promise<readonly GroupListing[]> {
    return this.whileOpen(() => this.groups.listGroups())
  }

  /** A group's state, members and what they hold, and per partition its committed offset, log end and lag. */
  describeGroup(groupId: string): Promise<ConsumerGroupDescription> {
    return this.whileOpen(() => this.groups.describeGroup(groupId))
  }

  /**
   * Moves a group's committed offsets for a topic (or some of its partitions) to either end of
   * the log, a time, or an offset (kept within the log). Only while the group has no members.
   * Returns the offsets set.
   */
  resetOffsets(groupId: string, spec: ResetOffsetsSpec): Promise<readonly OffsetToCommit[]> {
    return this.whileOpen(() => this.groups.resetOffsets(groupId, spec))
  }

  /** Deletes a group that has no members, with its committed offsets. */
  deleteGroup(groupId: string): Promise<void> {
    return this.whileOpen(() => this.groups.deleteGroup(groupId))
  }

  /** Later calls reject with ClosedError (Rivulet.close calls this). */
  close(): void {
    this.closed = true
  }

  private ask<R>(make: (replyTo: ReplyTo<R>) => BrokerRequest): Promise<R> {
    return this.whileOpen(() =>
      (this.broker.ask(make, { timeoutMs: this.requestTimeoutMs }) as Promise<R>).catch((error: unknown) => {
        throw unwrapActorFailure(error)
      }),
    )
  }

  /** Runs `work` on what `check` returns; a failed check rejects, as the call would have. */
  private checked<T, R>(check: () => T, work: (checked: T) => Promise<R>): Promise<R> {
    let checked: T
    try {
      checked = check()
    } catch (error) {
      return Promise.reject(error)
    }
    return work(checked)
  }

  private whileOpen<R>(work: () => Promise<R>): Promise<R> {
    return this.closed ? Promise.reject(new ClosedError({ what: 'admin' })) : work()
  }
}
