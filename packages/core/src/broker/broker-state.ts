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
import type { BrokerLogger } from './broker-logger.js'
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
import { readTopicRegistry, type TopicRecord, topicRegistryFile, writeTopicRegistry } from './topic-registry.js'

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
  const records = readOrRebuild(dataDir, logger)
  const deletedTopicIds = new Set(records.deletedTopicIds)
  let rewrite = records.rewrite || deletedTopicIds.size > 0
  const topics = records.topics.map((record): Topic => {
    let topicId = record.topicId
    if (topicId === undefined) {
      topicId = randomUUID()
      rewrite = true
    }
    try {
      const topicConfig = decodeLogConfig(record.config, config.defaultTopicConfig)
      return { name: record.name, topicId, partitionCount: record.partitions, overrides: record.config, config: topicConfig }
    } catch (error) {
      throw new CorruptClusterFileError({ file: topicRegistryFile(dataDir), reason: `topic "${record.name}": ${(error as Error).message}` })
    }
  })
  settlePartitionDirs(dataDir, topics, deletedTopicIds, logger)
  // Every deleted topic's directories are gone now: its tombstone has done its job.
  if (rewrite) writeTopicRegistry(dataDir, topics.map(recordOf))
  return { topics, producerIds: ProducerIdBlock.load(dataDir, logger) }
}

export const recordOf = (topic: Topic): TopicRecord => ({
  name: topic.name,
  partitions: topic.partitionCount,
  config: topic.overrides,
  topicId: topic.topicId,
})

interface RegistryContent {
  readonly topics: readonly TopicRecord[]
  readonly deletedTopicIds: readonly string[]
  /** The file must be written again (it was rebuilt). */
  readonly rewrite: boolean
}

const readOrRebuild = (dataDir: string, logger: BrokerLogger): RegistryContent => {
  let damage: CorruptClusterFileError | undefined
  try {
    const registry = readTopicRegistry(dataDir)
    if (registry !== undefined) return { ...registry, rewrite: false }
  } catch (error) {
    if (!(error instanceof CorruptClusterFileError)) throw error
    damage = error
  }
  if (damage === undefined && listPartitionDirs(dataDir).length === 0) return { topics: [], deletedTopicIds: [], rewrite: false }
  const rebuilt = rebuildTopicRegistry(dataDir)
  logger.error(
    `${damage?.message ?? `topic registry ${topicRegistryFile(dataDir)} is missing`}: rebuilt it from the partition directories' metadata`,
    {
      file: topicRegistryFile(dataDir),
      topics: rebuilt.topics.map((topic) => `${topic.name} (${topic.partitions} partitions)`),
      emptyDirectoriesWithoutMetadata: rebuilt.ignoredDirs,
      partitionsWithoutDirectory: rebuilt.missingPartitions,
    },
  )
  return { topics: rebuilt.topics, deletedTopicIds: [], rewrite: true }
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
