/**
 * The topics a broker knows, persisted in `<dataDir>/__cluster/topics.json` so that a restart on
 * the same data directory brings every topic back:
 *
 *   { "version": 1,
 *     "topics": [{ "name": "orders", "partitions": 3, "config": { "retentionMs": 3600000 }, "topicId": "<uuid>" }],
 *     "deletedTopicIds": ["<uuid>"] }
 *
 * `config` holds only the topic's overrides; the broker lays them over its default topic config.
 * `topicId` (absent in files written before it existed) ties a topic to its partition
 * directories' `partition.metadata`. `deletedTopicIds` names topics deleted whose directories may
 * not all be gone yet (a crash between the two): those directories are removed, not mistaken for
 * data a lost registry entry left behind.
 * The file is rewritten whole and atomically on every change; one that does not decode is a
 * CorruptClusterFileError naming the file and where in it the problem is.
 */
import { join } from 'node:path'
import type { LogConfigInput } from '@rivulet/storage'
import { Schema } from 'effect'
import { isValidTopicName } from '../topic-name.js'
import { readFileIfExists, writeFileAtomically } from './atomic-file.js'
import { CorruptClusterFileError } from './broker-errors.js'

export interface TopicRecord {
  readonly name: string
  readonly partitions: number
  /** The topic's config overrides (not the broker default). */
  readonly config: LogConfigInput
  /** undefined only in a file written before topic ids existed. */
  readonly topicId?: string | undefined
}

export interface TopicRegistry {
  readonly topics: readonly TopicRecord[]
  readonly deletedTopicIds: readonly string[]
}

const REGISTRY_VERSION = 1

const RegistryFile = Schema.Struct({
  version: Schema.Literal(REGISTRY_VERSION),
  topics: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      partitions: Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0)),
      config: Schema.Record(Schema.String, Schema.Unknown),
      topicId: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
    }),
  ),
  deletedTopicIds: Schema.optionalKey(Schema.Array(Schema.String)),
})

/** The directory of the broker's own files inside its data directory. */
export const clusterDir = (dataDir: string): string => join(dataDir, '__cluster')

export const topicRegistryFile = (dataDir: string): string => join(clusterDir(dataDir), 'topics.json')

/** The persisted topics, in file order; undefined when the file does not exist. */
export const readTopicRegistry = (dataDir: string): TopicRegistry | undefined => {
  const file = topicRegistryFile(dataDir)
  const text = readFileIfExists(file)
  if (text === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new CorruptClusterFileError({ file, reason: `not JSON: ${(error as Error).message}` })
  }
  let decoded: Schema.Schema.Type<typeof RegistryFile>
  try {
    decoded = Schema.decodeUnknownSync(RegistryFile)(json)
  } catch (error) {
    throw new CorruptClusterFileError({ file, reason: (error as Error).message.replaceAll('\n', ' ') })
  }
  const seen = new Set<string>()
  for (const topic of decoded.topics) {
    if (!isValidTopicName(topic.name)) {
      throw new CorruptClusterFileError({ file, reason: `invalid topic name ${JSON.stringify(topic.name)}` })
    }
    if (seen.has(topic.name)) throw new CorruptClusterFileError({ file, reason: `topic "${topic.name}" is listed twice` })
    seen.add(topic.name)
  }
  return {
    topics: decoded.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions, config: topic.config, topicId: topic.topicId })),
    deletedTopicIds: decoded.deletedTopicIds ?? [],
  }
}

/**
 * Replaces the persisted topics by `topics`, atomically. `freesSpace` when the write is what lets
 * space be freed (a topic deleted): on a full disk it may use the reserve (see atomic-file.ts).
 */
export const writeTopicRegistry = (
  dataDir: string,
  topics: Iterable<TopicRecord>,
  deletedTopicIds: Iterable<string> = [],
  options: { readonly freesSpace?: boolean } = {},
): void => {
  const records = Array.from(topics, (topic) => ({ name: topic.name, partitions: topic.partitions, config: topic.config, topicId: topic.topicId }))
  const content = { version: REGISTRY_VERSION, topics: records, deletedTopicIds: [...deletedTopicIds] }
  writeFileAtomically(topicRegistryFile(dataDir), `${JSON.stringify(content, null, 2)}\n`, { useReserve: options.freesSpace === true })
}
