/**
 * `<topic>-<n>/partition.metadata` (as Kafka's): what a partition directory belongs to, so the
 * topic registry can be rebuilt from the directories themselves when `__cluster/topics.json` is
 * lost. Written atomically when the partition is created and when its topic's config or
 * partition count changes.
 *
 *   { "version": 1, "topic": "orders", "partition": 2, "topicId": "<uuid>",
 *     "partitionCount": 6, "config": { "retentionMs": 3600000 } }      (config: the overrides)
 *
 * Also the names of the directories in a data directory: `<topic>-<n>` a partition's log,
 * `<topic>-<n>.<topicId>-delete` one being deleted (renamed first, removed after), `__cluster`
 * the broker's own files.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { mkdir, open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { LogConfigInput } from '@rivulet/storage'
import { Schema } from 'effect'
import { isValidTopicName } from '../topic-name.js'
import { readFileIfExists, writeFileAtomically } from './atomic-file.js'

export const PARTITION_METADATA_FILE = 'partition.metadata'
const METADATA_VERSION = 1
const DELETE_SUFFIX = '-delete'

export interface PartitionMetadata {
  readonly topic: string
  readonly partition: number
  readonly topicId: string
  readonly partitionCount: number
  readonly config: LogConfigInput
}

const MetadataFile = Schema.Struct({
  version: Schema.Literal(METADATA_VERSION),
  topic: Schema.String,
  partition: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  topicId: Schema.String.check(Schema.isMinLength(1)),
  partitionCount: Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0)),
  config: Schema.Record(Schema.String, Schema.Unknown),
})

export const partitionMetadataFile = (partitionDir: string): string => join(partitionDir, PARTITION_METADATA_FILE)

const metadataText = ({ topic, partition, topicId, partitionCount, config }: PartitionMetadata): string =>
  `${JSON.stringify({ version: METADATA_VERSION, topic, partition, topicId, partitionCount, config })}\n`

export const writePartitionMetadata = (partitionDir: string, metadata: PartitionMetadata): void => {
  writeFileAtomically(partitionMetadataFile(partitionDir), metadataText(metadata))
}

/**
 * writePartitionMetadata off the event loop: many partitions' fsyncs then overlap on the thread
 * pool instead of queueing one after another (each costs milliseconds on a busy disk).
 */
export const writePartitionMetadataAsync = async (partitionDir: string, metadata: PartitionMetadata): Promise<void> => {
  await mkdir(partitionDir, { recursive: true })
  const file = partitionMetadataFile(partitionDir)
  const tmp = `${file}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(metadataText(metadata))
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  const dir = await open(partitionDir, 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export type MetadataRead =
  | { readonly kind: 'ok'; readonly metadata: PartitionMetadata }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly reason: string }

export const readPartitionMetadata = (partitionDir: string): MetadataRead => {
  const text = readFileIfExists(partitionMetadataFile(partitionDir))
  if (text === undefined) return { kind: 'missing' }
  try {
    const decoded = Schema.decodeUnknownSync(MetadataFile)(JSON.parse(text))
    if (!isValidTopicName(decoded.topic)) return { kind: 'unreadable', reason: `invalid topic name ${JSON.stringify(decoded.topic)}` }
    if (decoded.partition >= decoded.partitionCount) {
      return { kind: 'unreadable', reason: `partition ${decoded.partition} is not below its partition count ${decoded.partitionCount}` }
    }
    const { topic, partition, topicId, partitionCount, config } = decoded
    return { kind: 'ok', metadata: { topic, partition, topicId, partitionCount, config } }
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message.replaceAll('\n', ' ') }
  }
}

/** Whether a partition directory holds any record bytes (a non-empty segment file). */
export const holdsRecords = (partitionDir: string): boolean => {
  let names: string[]
  try {
    names = readdirSync(partitionDir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
  return names.some((name) => /\.log(\.|$)/.test(name) && statSync(join(partitionDir, name)).size > 0)
}

export interface PartitionDirName {
  readonly name: string
  readonly topic: string
  readonly partition: number
}

/** `<topic>-<n>` directories of the data directory (not `__cluster`, not the ones being deleted). */
export const listPartitionDirs = (dataDir: string): PartitionDirName[] => {
  const found: PartitionDirName[] = []
  for (const name of readDirIfExists(dataDir)) {
    if (name.endsWith(DELETE_SUFFIX) || name.startsWith('.')) continue
    const match = /^(.+)-(\d{1,9})$/.exec(name)
    if (match === null || !isValidTopicName(match[1] as string)) continue
    if (!statSync(join(dataDir, name)).isDirectory()) continue
    found.push({ name, topic: match[1] as string, partition: Number(match[2]) })
  }
  return found
}

/**
 * Removes a partition directory: renamed to `<topic>-<n>.<topicId>-delete` first (one atomic
 * step that takes it out of the topic), then removed, so a crash in between leaves only a
 * `-delete` directory that the next start removes, never a half-deleted log under a live name.
 */
export const removePartitionDir = (partitionDir: string, topicId: string): void => {
  if (!existsSync(partitionDir)) return
  const marked = `${partitionDir}.${topicId}${DELETE_SUFFIX}`
  renameSync(partitionDir, marked)
  rmSync(marked, { recursive: true, force: true })
}

/** Removes what an interrupted deletion left: every `-delete` directory. */
export const removeDeletedDirs = (dataDir: string): string[] => {
  const removed: string[] = []
  for (const name of readDirIfExists(dataDir)) {
    if (!name.endsWith(DELETE_SUFFIX)) continue
    rmSync(join(dataDir, name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}

const readDirIfExists = (dir: string): string[] => {
  try {
    return readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}
