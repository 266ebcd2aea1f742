/**
 * BrokerActor: one per node. Owns the topic registry (persisted in `__cluster/topics.json`),
 * spawns a PartitionActor per partition at `<cluster>.<node>.partition.<topic>.<n>`, hands out
 * producer ids, and starts consumer-group coordinators (group-directory.ts).
 *
 * Behavior:
 * - A request that cannot be done fails with a typed error, as data; the broker goes on.
 * - Every change is persisted before it takes effect in memory or on the partitions; each
 *   partition directory carries its own `partition.metadata`, so a lost `topics.json` is
 *   rebuilt from the directories (broker-state.ts), never replaced by an empty registry.
 * - A topic (or its new partitions) is created whole or not at all: every partition's log is
 *   opened before the registry names it; if one fails (e.g. EMFILE) the others are closed, their
 *   new directories removed, and the request fails with TopicCreationFailedError. Per-partition
 *   work runs in chunks that yield (partition-setup.ts); a topic has at most
 *   maxPartitionsPerTopic partitions.
 * - Deleting a topic persists first (with the topic id as a tombstone), then removes each log
 *   directory by renaming it to `<topic>-<n>.<id>-delete` and removing that. Creating one clears
 *   only a leftover of a deleted topic or an empty directory: a directory holding records of a
 *   topic the registry does not know is never removed (StrayPartitionDirectoryError).
 * - Partitions are supervised by restart; one stopped for good is spawned again by the next
 *   Metadata or DescribeTopic that needs it.
 * - On start it creates the compacted `__consumer_offsets` if missing. Topics named `__...` are
 *   the broker's: users cannot create, delete, grow or reconfigure them, and ListTopics shows
 *   them only when asked to.
 * - Every created, deleted or grown topic is told to the running group coordinators.
 */
import { randomUUID } from 'node:crypto'
import { decodeLogConfig, InvalidLogConfigError, type LogConfig, type LogConfigInput, withLogConfigKeys } from '@rivulet/storage'
import { absurd, type Actor } from '../actor/actor.js'
import { type ActorPath, actorPath } from '../actor/actor-path.js'
import type { ActorRef, ReplyTo } from '../actor/actor-ref.js'
import type { ActorSystem } from '../actor/actor-system.js'
import { Supervision } from '../actor/supervision.js'
import { InvalidPartitionCountError, TopicExistsError, UnknownTopicError } from '../errors.js'
import type { TopicsSnapshot } from '../group/group-coordinator-actor.js'
import { OFFSETS_TOPIC, offsetsTopicConfig } from '../group/offsets-topic.js'
import { InternalTopicError, isInternalTopic } from '../internal-topics.js'
import {
  type OpenedPartition,
  openPartition,
  partitionActor,
  type PartitionActorOptions,
  partitionLogDir,
  partitionPath,
} from '../partition/partition-actor.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { topicNamesCollide, validateTopicName } from '../topic-name.js'
import { type BrokerConfig, type BrokerConfigInput, decodeBrokerConfig } from './broker-config.js'
import { type BrokerLogger, consoleBrokerLogger } from '../broker-logger.js'
import { TooManyPartitionsError, TopicCreationFailedError, TopicNameCollisionError } from './broker-errors.js'
import type { BrokerMessage, ProducerIdentity, TopicDescription, TopicMetadata } from './broker-protocol.js'
import { type BrokerState, loadBrokerState, recordOf, type Topic } from './broker-state.js'
import { checkDescriptorLimit } from './descriptor-limit.js'
import { type BrokerCommand, GroupDirectory } from './group-directory.js'
import { removePartitionDir, writePartitionMetadataAsync } from './partition-metadata.js'
import { forEachPartition, openNewPartitions } from './partition-setup.js'
import type { ProducerIdBlock } from './producer-id-block.js'
import { writeTopicRegistry } from './topic-registry.js'

export interface BrokerOptions {
  /** The clock partitions use for retention and segment age; tests pass a virtual one. */
  readonly nowMs?: () => number
  /** How partitions open their logs; tests wrap it. */
  readonly openLog?: PartitionActorOptions['openLog']
  /** Where the broker and its partitions report what an operator must know; default stderr. */
  readonly logger?: BrokerLogger
}

/** Restored partitions opened at once at start: each open briefly takes more descriptors than it keeps. */
const RESTORE_CHUNK = 16

/** The broker actor's path: `<cluster>.<node>.broker`. */
export const brokerPath = (clusterId: string, nodeId: number): ActorPath => actorPath(clusterId, nodeId, 'broker')

/**
 * Decodes the config, reads the persisted topics (so a corrupt file fails here, naming it) and
 * spawns the broker, which brings back every topic's partitions. Restarted on failure.
 */
export const startBroker = (system: ActorSystem, input: BrokerConfigInput, options: BrokerOptions = {}): ActorRef<BrokerMessage> => {
  const config = decodeBrokerConfig(input)
  const logger = options.logger ?? consoleBrokerLogger
  let loaded: BrokerState | undefined = loadBrokerState(config, logger)
  return system.spawn<BrokerCommand>(
    brokerPath(config.clusterId, config.nodeId),
    (context) => {
      const state = loaded ?? loadBrokerState(config, logger)
      loaded = undefined
      return new BrokerActor(config, options, logger, context.system, state, context.self)
    },
    { supervision: Supervision.restart() },
  )
}

class BrokerActor implements Actor<BrokerCommand> {
  private readonly topics = new Map<string, Topic>()
  private readonly producerIds: ProducerIdBlock
  private readonly groups: GroupDirectory
  /** Topics deleted whose directories may not all be removed yet; persisted with the registry. */
  private readonly deletedTopicIds = new Set<string>()
  /** Rises with every topic change, so coordinators can tell a late snapshot from a newer one. */
  private topicsVersion = 0

  constructor(
    private readonly config: BrokerConfig,
    private readonly options: BrokerOptions,
    private readonly logger: BrokerLogger,
    private readonly system: ActorSystem,
    state: BrokerState,
    self: ActorRef<BrokerCommand>,
  ) {
    for (const topic of state.topics) this.topics.set(topic.name, topic)
    this.producerIds = state.producerIds
    const offsetsPartitions = () => this.topics.get(OFFSETS_TOPIC)?.partitionCount ?? config.offsetsTopicPartitions
    this.groups = new GroupDirectory(system, config, self, offsetsPartitions)
  }

  async preStart(): Promise<void> {
    const hosted = [...this.topics.values()].reduce((sum, topic) => sum + topic.partitionCount, 0)
    checkDescriptorLimit(hosted + (this.topics.has(OFFSETS_TOPIC) ? 0 : this.config.offsetsTopicPartitions), this.logger)
    await this.openRestoredPartitions()
    if (!this.topics.has(OFFSETS_TOPIC)) {
      await this.addTopic(OFFSETS_TOPIC, this.config.offsetsTopicPartitions, offsetsTopicConfig(this.config.offsetsTopicSegmentBytes))
    }
  }

  /**
   * Opens every restored partition before spawning it, a few at a time (opening takes a few
   * descriptors more than an open log holds). One that cannot open is reported once, here, and
   * left to be spawned again by the next request that needs it, instead of restarting in a loop.
   */
  private async openRestoredPartitions(): Promise<void> {
    const failed: { partition: string; reason: string }[] = []
    for (const topic of this.topics.values()) {
      await forEachPartition(
        0,
        topic.partitionCount,
        async (n) => {
          try {
            this.spawnPartition(topic, n, await openPartition(this.partitionOptions(topic, n)))
          } catch (error) {
            failed.push({ partition: `${topic.name}-${n}`, reason: error instanceof Error ? error.message : String(error) })
          }
        },
        RESTORE_CHUNK,
      )
    }
    if (failed.length > 0) {
      this.logger.error(`${failed.length} partitions could not open their logs at start; each is tried again when next asked for`, {
        first: failed.slice(0, 10),
      })
    }
  }

  async postStop(): Promise<void> {
    // Coordinators first: they write to the offsets topic's partitions.
    await this.groups.stopAll()
    const stops: Promise<void>[] = []
    for (const topic of this.topics.values()) {
      for (let n = 0; n < topic.partitionCount; n++) {
        const partition = this.system.find(this.partitionPath(topic.name, n))
        if (partition !== undefined) stops.push(this.system.stop(partition))
      }
    }
    await Promise.all(stops)
  }

  receive(message: BrokerCommand): Promise<void> {
    switch (message._tag) {
      case 'CreateTopic':
        return answer(message.replyTo, () => this.createTopic(message.name, message.partitions ?? this.config.defaultPartitions, message.config))
      case 'DeleteTopic':
        return answer(message.replyTo, () => this.deleteTopic(message.name))
      case 'ListTopics':
        return answer(message.replyTo, () => [...this.topics.keys()].filter((name) => message.includeInternal === true || !isInternalTopic(name)).sort())
      case 'DescribeTopic':
        return answer(message.replyTo, () => this.describeTopic(message.name))
      case 'CreatePartitions':
        return answer(message.replyTo, () => this.createPartitions(message.name, message.totalCount))
      case 'AlterTopicConfig':
        return answer(message.replyTo, () => this.alterTopicConfig(message.name, message.config))
      case 'Metadata':
        return answer(message.replyTo, () => this.metadata(message.topic, message.autoCreate))
      case 'InitProducerId':
        return answer(message.replyTo, (): ProducerIdentity => ({ producerId: this.producerIds.allocate(), producerEpoch: 0 }))
      case 'FindCoordinator':
        return answer(message.replyTo, () => this.groups.findCoordinator(message.groupId))
      case 'ListGroups':
        this.groups.listGroups(message.replyTo)
        return Promise.resolve()
      case 'TopicsSnapshot':
        return answer(message.replyTo, () => this.topicsSnapshot())
      case 'GroupDeleted':
        return this.groups.groupDeleted(message.groupId)
      default:
        return absurd(message)
    }
  }

  private createTopic(name: string, partitions: number, configInput: LogConfigInput): Promise<TopicMetadata> {
    validateTopicName(name)
    if (isInternalTopic(name)) throw new InternalTopicError({ topic: name, operation: 'create' })
    return this.addTopic(name, partitions, configInput)
  }

  private async addTopic(name: string, partitions: number, configInput: LogConfigInput): Promise<TopicMetadata> {
    this.checkPartitionCount(name, partitions)
    if (this.topics.has(name)) throw new TopicExistsError({ topic: name })
    for (const existing of this.topics.keys()) {
      if (topicNamesCollide(name, existing)) throw new TopicNameCollisionError({ topic: name, existing })
    }
    const { overrides, config } = this.mergeConfig({}, configInput)
    const topic: Topic = { name, topicId: randomUUID(), partitionCount: partitions, overrides, config }
    const opened = await openNewPartitions(this.config.dataDir, topic, 0, this.deletedTopicIds, (n) => this.partitionOptions(topic, n))
    await this.persistOrRollBack([...this.topics.values(), topic], topic, 0, opened)
    this.topics.set(name, topic)
    await this.spawnOpened(topic, 0, opened)
    this.topicsChanged()
    return this.metadataOf(topic)
  }

  private checkPartitionCount(name: string, partitions: number): void {
    if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions <= 0) {
      throw new InvalidPartitionCountError({ topic: name, partitions, reason: 'a topic needs a positive integer number of partitions' })
    }
    const max = this.config.maxPartitionsPerTopic
    if (partitions > max) throw new TooManyPartitionsError({ topic: name, partitions, maxPartitionsPerTopic: max })
  }

  /** Persists `topics`; if that fails, closes what was opened for the change and removes its new directories. */
  private async persistOrRollBack(topics: Iterable<Topic>, topic: Topic, from: number, opened: readonly OpenedPartition[]): Promise<void> {
    try {
      this.persist(topics)
    } catch (error) {
      await Promise.allSettled(opened.map((partition) => partition.log.close()))
      for (let n = from; n < from + opened.length; n++) {
        try {
          removePartitionDir(partitionLogDir(this.config.dataDir, topic.name, n), topic.topicId)
        } catch {
          // Empty and unregistered: the next creation of the name clears it.
        }
      }
      throw new TopicCreationFailedError({
        topic: topic.name,
        partition: undefined,
        code: (error as NodeJS.ErrnoException).code,
        reason: error instanceof Error ? error.message : String(error),
      })
    }
  }

  private async spawnOpened(topic: Topic, from: number, opened: readonly OpenedPartition[]): Promise<void> {
    await forEachPartition(from, from + opened.length, (n) => void this.spawnPartition(topic, n, opened[n - from]))
  }

  private async deleteTopic(name: string): Promise<void> {
    const topic = this.topicNamed(name)
    if (isInternalTopic(name)) throw new InternalTopicError({ topic: name, operation: 'delete' })
    this.deletedTopicIds.add(topic.topicId)
    try {
      this.persist(Array.from(this.topics.values()).filter((other) => other !== topic), { freesSpace: true })
    } catch (error) {
      this.deletedTopicIds.delete(topic.topicId)
      throw error
    }
    this.topics.delete(name)
    this.topicsChanged()
    await Promise.all(
      Array.from({ length: topic.partitionCount }, async (_, n) => {
        const partition = this.system.find<PartitionMessage>(this.partitionPath(name, n))
        if (partition !== undefined) {
          // The log is removed below whatever happens here: the registry no longer has the topic.
          await partition.ask((replyTo) => ({ _tag: 'DeleteLog', replyTo })).catch(() => undefined)
          await this.system.stop(partition).catch(() => undefined)
        }
      }),
    )
    await forEachPartition(0, topic.partitionCount, (n) => removePartitionDir(partitionLogDir(this.config.dataDir, name, n), topic.topicId))
    // Every directory is gone: the tombstone leaves the file with the next change (or start).
    this.deletedTopicIds.delete(topic.topicId)
  }

  private async describeTopic(name: string): Promise<TopicDescription> {
    const topic = this.topicNamed(name)
    const partitions = await Promise.all(
      this.livePartitions(topic).map((partition) => partition.ask((replyTo) => ({ _tag: 'Describe', replyTo }))),
    )
    return { name, config: topic.config, overrides: topic.overrides, partitions }
  }

  private async createPartitions(name: string, totalCount: number): Promise<TopicMetadata> {
    const topic = this.topicNamed(name)
    // The offsets topic's count places groups: growing it would move them away from their offsets.
    if (isInternalTopic(name)) throw new InternalTopicError({ topic: name, operation: 'create partitions' })
    if (typeof totalCount !== 'number' || !Number.isInteger(totalCount) || totalCount <= 0) {
      throw new InvalidPartitionCountError({ topic: name, partitions: totalCount, reason: 'a topic needs a positive integer number of partitions' })
    }
    this.checkPartitionCount(name, totalCount)
    if (totalCount <= topic.partitionCount) {
      throw new InvalidPartitionCountError({
        topic: name,
        partitions: totalCount,
        reason: `the topic has ${topic.partitionCount} partitions; the count can only grow`,
      })
    }
    const from = topic.partitionCount
    const grown: Topic = { ...topic, partitionCount: totalCount }
    const opened = await openNewPartitions(this.config.dataDir, grown, from, this.deletedTopicIds, (n) => this.partitionOptions(topic, n))
    await this.persistOrRollBack(Array.from(this.topics.values(), (other) => (other === topic ? grown : other)), topic, from, opened)
    topic.partitionCount = totalCount
    // The older partitions learn the new count after the registry: a rebuild takes the largest.
    await this.writeMetadata(topic, 0, from)
    await this.spawnOpened(topic, from, opened)
    this.topicsChanged()
    return this.metadataOf(topic)
  }

  private async alterTopicConfig(name: string, configInput: LogConfigInput): Promise<void> {
    const topic = this.topicNamed(name)
    if (isInternalTopic(name)) throw new InternalTopicError({ topic: name, operation: 'alter config' })
    const { overrides, config } = this.mergeConfig(topic.overrides, configInput)
    this.persist(Array.from(this.topics.values(), (other) => (other === topic ? { ...topic, overrides } : other)))
    topic.overrides = overrides
    topic.config = config
    await this.writeMetadata(topic, 0, topic.partitionCount)
    await Promise.all(
      this.livePartitions(topic).map((partition) => partition.ask((replyTo) => ({ _tag: 'AlterConfig', config, replyTo }))),
    )
  }

  private async metadata(name: string, autoCreate: boolean): Promise<TopicMetadata> {
    const topic = this.topics.get(name)
    if (topic !== undefined) {
      this.livePartitions(topic)
      return this.metadataOf(topic)
    }
    if (autoCreate && this.config.autoCreateTopics) return this.createTopic(name, this.config.defaultPartitions, {})
    throw new UnknownTopicError({ topic: name })
  }

  private topicsSnapshot(): TopicsSnapshot {
    return { version: this.topicsVersion, partitionsPerTopic: new Map([...this.topics.values()].map((topic) => [topic.name, topic.partitionCount])) }
  }

  private topicsChanged(): void {
    this.topicsVersion++
    this.groups.topicsChanged(this.topicsSnapshot())
  }

  private topicNamed(name: string): Topic {
    const topic = this.topics.get(name)
    if (topic === undefined) throw new UnknownTopicError({ topic: name })
    return topic
  }

  /**
   * Lays `changes` over `overrides` (null drops a key) and decodes the result over the broker's
   * default; the overrides kept are the decoded values of the keys given.
   */
  private mergeConfig(overrides: LogConfigInput, changes: LogConfigInput): { overrides: LogConfigInput; config: LogConfig } {
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
      throw new InvalidLogConfigError({ key: '(config)', value: changes, reason: 'expected an object' })
    }
    // Null-prototype: a `__proto__` key parsed from JSON stays an own key, which decoding refuses.
    const merged: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, overrides)
    // Kafka's names (`retention.ms`) become the log config's, so an override is kept under one name.
    for (const [key, value] of Object.entries(withLogConfigKeys(changes))) {
      if (value === null) delete merged[key]
      else if (value !== undefined) merged[key] = value
    }
    const config = decodeLogConfig(merged, this.config.defaultTopicConfig)
    const kept: Record<string, unknown> = Object.create(null) as Record<string, unknown>
    for (const key of Object.keys(merged)) kept[key] = config[key as keyof LogConfig]
    return { overrides: kept, config }
  }

  private persist(topics: Iterable<Topic>, options: { readonly freesSpace?: boolean } = {}): void {
    writeTopicRegistry(this.config.dataDir, Array.from(topics, recordOf), this.deletedTopicIds, options)
  }

  private async writeMetadata(topic: Topic, from: number, to: number): Promise<void> {
    const { name, topicId, partitionCount, overrides: config } = topic
    await forEachPartition(from, to, (partition) =>
      writePartitionMetadataAsync(partitionLogDir(this.config.dataDir, name, partition), { topic: name, partition, topicId, partitionCount, config }),
    )
  }

  private partitionOptions(topic: Topic, partition: number): PartitionActorOptions {
    return {
      topic: topic.name,
      partition,
      dataDir: this.config.dataDir,
      config: topic.config,
      retentionCheckIntervalMs: this.config.retentionCheckIntervalMs,
      nowMs: this.options.nowMs,
      openLog: this.options.openLog,
      logger: this.logger,
    }
  }

  private spawnPartition(topic: Topic, partition: number, opened?: OpenedPartition): ActorRef<PartitionMessage> {
    return this.system.spawn(this.partitionPath(topic.name, partition), partitionActor(this.partitionOptions(topic, partition), opened), {
      supervision: Supervision.restart(),
    })
  }

  /** The topic's partition actors, spawning again any that stopped for good. */
  private livePartitions(topic: Topic): ActorRef<PartitionMessage>[] {
    return Array.from({ length: topic.partitionCount }, (_, n) => {
      return this.system.find<PartitionMessage>(this.partitionPath(topic.name, n)) ?? this.spawnPartition(topic, n)
    })
  }

  private partitionPath(topic: string, partition: number): ActorPath {
    return partitionPath(this.config.clusterId, this.config.nodeId, topic, partition)
  }

  private metadataOf(topic: Topic): TopicMetadata {
    return {
      name: topic.name,
      partitionCount: topic.partitionCount,
      partitionLeaders: Array.from({ length: topic.partitionCount }, (_, n) => this.partitionPath(topic.name, n)),
    }
  }
}

/** Replies with what `work` returns, or fails the request with what it throws. */
const answer = async <R>(replyTo: ReplyTo<R>, work: () => R | Promise<R>): Promise<void> => {
  let result: R
  try {
    result = await work()
  } catch (error) {
    return replyTo.fail(error instanceof Error ? error : new Error(String(error)))
  }
  replyTo.reply(result)
}
