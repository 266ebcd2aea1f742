/**
 * Rebuilds the topic registry from the partition directories' `partition.metadata` when
 * `__cluster/topics.json` is missing or damaged. The directories are the data: every one that
 * holds records must be accounted for, and they must agree, or the broker refuses to open with
 * a RegistryRebuildError naming the file at fault; it never guesses.
 */
import { join } from 'node:path'
import type { LogConfigInput } from '@rivulet/storage'
import { RegistryRebuildError } from './broker-errors.js'
import { holdsRecords, listPartitionDirs, partitionMetadataFile, type PartitionMetadata, readPartitionMetadata } from './partition-metadata.js'
import { type TopicRecord, topicRegistryFile } from './topic-registry.js'

export interface RebuiltRegistry {
  readonly topics: TopicRecord[]
  /** Empty directories without readable metadata: left alone, not part of any topic. */
  readonly ignoredDirs: string[]
  /** Partitions of rebuilt topics with no directory (a partition that held nothing and was lost). */
  readonly missingPartitions: string[]
}

// Keys sorted, so two equal configs compare equal whatever order their keys were written in.
const canonical = (config: LogConfigInput): string =>
  JSON.stringify(Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))

export const rebuildTopicRegistry = (dataDir: string): RebuiltRegistry => {
  const registry = topicRegistryFile(dataDir)
  const refuse = (file: string, reason: string): never => {
    throw new RegistryRebuildError({ registry, file, reason })
  }
  const byTopic = new Map<string, PartitionMetadata[]>()
  const ignoredDirs: string[] = []
  for (const dir of listPartitionDirs(dataDir)) {
    const path = join(dataDir, dir.name)
    const read = readPartitionMetadata(path)
    if (read.kind !== 'ok') {
      if (!holdsRecords(path)) {
        ignoredDirs.push(path)
        continue
      }
      const reason = read.kind === 'missing' ? 'missing, and its directory holds records' : `${read.reason}, and its directory holds records`
      refuse(partitionMetadataFile(path), reason)
    }
    const metadata = (read as Extract<typeof read, { kind: 'ok' }>).metadata
    if (metadata.topic !== dir.topic || metadata.partition !== dir.partition) {
      refuse(partitionMetadataFile(path), `names topic "${metadata.topic}" partition ${metadata.partition}, but lies in ${dir.name}`)
    }
    const group = byTopic.get(metadata.topic) ?? []
    group.push(metadata)
    byTopic.set(metadata.topic, group)
  }
  const topics: TopicRecord[] = []
  const missingPartitions: string[] = []
  for (const [name, partitions] of [...byTopic].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const first = partitions[0] as PartitionMetadata
    const fileOf = (metadata: PartitionMetadata) => partitionMetadataFile(join(dataDir, `${name}-${metadata.partition}`))
    for (const other of partitions) {
      if (other.topicId !== first.topicId) {
        refuse(fileOf(other), `topic id ${other.topicId}, but ${fileOf(first)} says ${first.topicId}: directories of two different topics "${name}"`)
      }
      if (canonical(other.config) !== canonical(first.config)) {
        refuse(fileOf(other), `config ${JSON.stringify(other.config)}, but ${fileOf(first)} says ${JSON.stringify(first.config)}`)
      }
    }
    // A crash while a topic grew leaves the older partitions with the older count: the larger wins.
    const partitionCount = Math.max(...partitions.map((metadata) => metadata.partitionCount))
    const present = new Set(partitions.map((metadata) => metadata.partition))
    for (let n = 0; n < partitionCount; n++) if (!present.has(n)) missingPartitions.push(`${name}-${n}`)
    topics.push({ name, partitions: partitionCount, config: first.config, topicId: first.topicId })
  }
  return { topics, ignoredDirs, missingPartitions }
}
