/**
 * What the broker reads back at start: its topics (from `__cluster/topics.json`, or rebuilt from
 * the partition directories when that file is missing or damaged) and its producer-id block. It
 * also settles what a crash left: `-delete` directories and directories of deleted topics are
 * removed; partition metadata missing or behind the registry (older data directories, a crash
 * mid-change) is written again. Everything an operator must know is said through the logger.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { decodeLogConfig, type LogConfig, type LogConfigInput } from '@rivulet/storage'
import { partitionLogDir } from '../partition/partition-actor.js'
import type { BrokerConfig } from './broker-config.js'
import { CorruptClusterFileError, PartitionDirectoryMismatchError } from './broker-errors.js'
import type { BrokerLogger } from '../broker-logger.js'
import {
  holdsRecords,
  listPartitionDirs,
  partitionMetadataFile,
  readPartitionMetadata,
  removeDeletedDirs,
  removePartitionDir,
  writePartitionMetadata,
} from './partition-metadata.js'
import { ProducerIdBlock } from './producer-id-block.js'
import { rebuildTopicRegistry } from './registry-rebuild.js'
import { ensureMetadataReserve } from './metadata-reserve.js'
import { clusterDir, readTopicRegistry, type TopicRecord, topicRegistryFile, writeTopicRegistry } from './topic-registry.js'

export interface Topic {
  readonly name: string
  readonly topicId: string
  partitionCount: number
  overrides: LogConfigInput
  config: LogConfig
}

export interface BrokerState {
  readonly topics: readonly Topic[]
  readonly producerIds: ProducerIdBlock
}

/** Reads what the broker persisted; see the file comment. Fails naming the file at fault. */
export const loadBrokerState = (config: BrokerConfig, logger: BrokerLogger): BrokerState => {
  const { dataDir } = config
  const leftovers = removeDeletedDirs(dataDir)
  if (leftovers.length > 0) logger.warn('removed directories a topic deletion left behind', { dirs: leftovers })
  const { topics, deletedTopicIds, rewrite } = readOrRebuild(config, logger)
  // Room for the registry on a full disk (deleteTopic must work then): see metadata-reserve.ts.
  ensureMetadataReserve(clusterDir(dataDir))
  settlePartitionDirs(dataDir, topics, new Set(deletedTopicIds), logger)
  // Every deleted topic's directories are gone now: its tombstone has done its job.
  if (rewrite || deletedTopicIds.length > 0) writeTopicRegistry(dataDir, topics.map(recordOf))
  return { topics, producerIds: ProducerIdBlock.load(dataDir, logger) }
}

/** The topics of `records` with their configs decoded; a config that does not decode is a CorruptClusterFileError on `fileOf`. */
const decodeTopics = (config: BrokerConfig, records: readonly TopicRecord[], fileOf: (record: TopicRecord) => string): Topic[] =>
  records.map((record): Topic => {
    try {
      const topicConfig = decodeLogConfig(record.config, config.defaultTopicConfig)
      const topicId = record.topicId ?? randomUUID()
      return { name: record.name, topicId, partitionCount: record.partitions, overrides: record.config, config: topicConfig }
    } catch (error) {
      throw new CorruptClusterFileError({ file: fileOf(record), reason: `topic "${record.name}": ${(error as Error).message}` })
    }
  })

export const recordOf = (topic: Topic): TopicRecord => ({
  name: topic.name,
  partitions: topic.partitionCount,
  config: topic.overrides,
  topicId: topic.topicId,
})

interface RegistryContent {
  readonly topics: Topic[]
  readonly deletedTopicIds: readonly string[]
  /** The file must be written again (rebuilt, or topic ids given to a file that had none). */
  readonly rewrite: boolean
}

const readOrRebuild = (config: BrokerConfig, logger: BrokerLogger): RegistryContent => {
  const { dataDir } = config
  const file = topicRegistryFile(dataDir)
  let damage: CorruptClusterFileError | undefined
  try {
    const registry = readTopicRegistry(dataDir)
    if (registry !== undefined) {
      const topics = decodeTopics(config, registry.topics, () => file)
      return { topics, deletedTopicIds: registry.deletedTopicIds, rewrite: registry.topics.some((record) => record.topicId === undefined) }
    }
  } catch (error) {
    if (!(error instanceof CorruptClusterFileError)) throw error
    damage = error
  }
  if (damage === undefined && listPartitionDirs(dataDir).length === 0) return { topics: [], deletedTopicIds: [], rewrite: false }
  const rebuilt = rebuildTopicRegistry(dataDir)
  const topics = decodeTopics(config, rebuilt.topics, (record) => partitionMetadataFile(partitionLogDir(dataDir, record.name, 0)))
  logger.error(`${damage?.message ?? `topic registry ${file} is missing`}: rebuilt it from the partition directories' metadata`, {
    file,
    topics: rebuilt.topics.map((topic) => `${topic.name} (${topic.partitions} partitions)`),
    emptyDirectoriesWithoutMetadata: rebuilt.ignoredDirs,
    partitionsWithoutDirectory: rebuilt.missingPartitions,
  })
  return { topics, deletedTopicIds: [], rewrite: true }
}

const settlePartitionDirs = (dataDir: string, topics: readonly Topic[], deletedTopicIds: ReadonlySet<string>, logger: BrokerLogger): void => {
  const byName = new Map(topics.map((topic) => [topic.name, topic]))
  for (const topic of topics) {
    for (let n = 0; n < topic.partitionCount; n++) {
      const dir = partitionLogDir(dataDir, topic.name, n)
      const read = readPartitionMetadata(dir)
      if (read.kind === 'ok') {
        const { metadata } = read
        if (metadata.topicId !== topic.topicId) {
          if (holdsRecords(dir)) {
            throw new PartitionDirectoryMismatchError({ file: partitionMetadataFile(dir), expectedTopicId: topic.topicId, foundTopicId: metadata.topicId })
          }
        } else if (
          metadata.partitionCount === topic.partitionCount &&
          JSON.stringify(metadata.config) === JSON.stringify(topic.overrides)
        ) {
          continue
        }
      } else if (read.kind === 'unreadable') {
        logger.warn('partition metadata unreadable; written again from the topic registry', { file: partitionMetadataFile(dir), reason: read.reason })
      }
      writePartitionMetadata(dir, { topic: topic.name, partition: n, topicId: topic.topicId, partitionCount: topic.partitionCount, config: topic.overrides })
    }
  }
  for (const found of listPartitionDirs(dataDir)) {
    const topic = byName.get(found.topic)
    if (topic !== undefined && found.partition < topic.partitionCount) continue
    const dir = join(dataDir, found.name)
    const read = readPartitionMetadata(dir)
    if (read.kind === 'ok' && deletedTopicIds.has(read.metadata.topicId)) {
      removePartitionDir(dir, read.metadata.topicId)
      logger.warn('removed the directory of a deleted topic a crash left behind', { dir })
    } else if (holdsRecords(dir)) {
      logger.error('a partition directory holds records of no known topic; it is kept, and its topic name cannot be created until it is moved away', {
        dir,
      })
    }
  }
}
