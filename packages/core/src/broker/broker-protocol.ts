/**
 * What the BrokerActor answers: one per node. It owns the node's topic registry (persisted in the
 * data directory), spawns and stops the PartitionActors it hosts, and hands out producer ids.
 */
import type { LogConfigInput } from '@rivulet/storage'
import type { ActorPath } from '../actor/actor-path.js'
import type { ReplyTo } from '../actor/actor-ref.js'
import type { PartitionDescription } from '../partition/partition-protocol.js'

/** Per-topic settings: the log settings every partition of the topic uses. */
export type TopicConfig = LogConfigInput

export interface TopicMetadata {
  readonly name: string
  readonly partitionCount: number
  /** Path of each partition's leader actor, by partition number. */
  readonly partitionLeaders: readonly ActorPath[]
}

export interface TopicDescription {
  readonly name: string
  /** The config in effect: the topic's overrides laid over the broker's default topic config. */
  readonly config: TopicConfig
  /** Only the settings given for this topic (at creation or by AlterTopicConfig). */
  readonly overrides: TopicConfig
  readonly partitions: readonly PartitionDescription[]
}

export interface GroupListing {
  readonly groupId: string
  readonly state: 'Empty' | 'Reconciling' | 'Stable' | 'Dead'
}

export interface ProducerIdentity {
  readonly producerId: bigint
  readonly producerEpoch: number
}

export type BrokerMessage =
  /**
   * Fails with InvalidTopicNameError, InternalTopicError (a name starting with `__`),
   * InvalidPartitionCountError (not a positive integer),
   * InvalidLogConfigError (naming the bad key), TopicExistsError, or TopicNameCollisionError
   * (differs from an existing name only in '.' versus '_').
   */
  | {
      readonly _tag: 'CreateTopic'
      readonly name: string
      /** Undefined: the broker's defaultPartitions (Kafka's CreateTopics with num_partitions -1). */
      readonly partitions: number | undefined
      readonly config: TopicConfig
      readonly replyTo: ReplyTo<TopicMetadata>
    }
  /**
   * Stops the topic's partitions and removes their logs; unknown: UnknownTopicError, internal:
   * InternalTopicError. Group coordinators then refuse commits for it and drop its offsets.
   */
  | { readonly _tag: 'DeleteTopic'; readonly name: string; readonly replyTo: ReplyTo<void> }
  /**
   * The topic names, sorted. Internal topics (`__consumer_offsets`) only with `includeInternal`,
   * as Kafka's admin client lists them (listInternal); Metadata and DescribeTopic answer for them.
   */
  | { readonly _tag: 'ListTopics'; readonly includeInternal?: boolean; readonly replyTo: ReplyTo<readonly string[]> }
  | { readonly _tag: 'DescribeTopic'; readonly name: string; readonly replyTo: ReplyTo<TopicDescription> }
  /** Raises a topic's partition count to `totalCount` (never lowers it). */
  | { readonly _tag: 'CreatePartitions'; readonly name: string; readonly totalCount: number; readonly replyTo: ReplyTo<TopicMetadata> }
  /**
   * Merges `config` into the topic's overrides (a key set to null drops its override, back to the
   * broker default), persists them, and has every partition apply the result.
   */
  | { readonly _tag: 'AlterTopicConfig'; readonly name: string; readonly config: TopicConfig; readonly replyTo: ReplyTo<void> }
  /**
   * Where a topic's partitions are. With `autoCreate` and the broker's autoCreateTopics setting,
   * an unknown topic is created with the broker's default partition count.
   */
  | { readonly _tag: 'Metadata'; readonly topic: string; readonly autoCreate: boolean; readonly replyTo: ReplyTo<TopicMetadata> }
  /** A fresh producer id (never reused, even across restarts) for an idempotent producer. */
  | { readonly _tag: 'InitProducerId'; readonly replyTo: ReplyTo<ProducerIdentity> }
  /**
   * The coordinator of a consumer group (placed by hash of the group id over the brokers; one
   * broker for now), spawned on first use with its committed offsets restored. An empty or
   * non-string group id fails with InvalidGroupIdError.
   */
  | { readonly _tag: 'FindCoordinator'; readonly groupId: string; readonly replyTo: ReplyTo<ActorPath> }
  /**
   * Groups with members or committed offsets, by group id: those whose coordinator runs, with
   * its phase, and those with offsets in `__consumer_offsets` (Empty), e.g. after a restart.
   */
  | { readonly _tag: 'ListGroups'; readonly replyTo: ReplyTo<readonly GroupListing[]> }
