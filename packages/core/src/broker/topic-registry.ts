/**
 * The topics a broker knows, persisted in `<dataDir>/__cluster/topics.json` so that a restart on
 * the same data directory brings every topic back:
 *
 *   { "version": 1, "topics": [{ "name": "orders", "partitions": 3, "config": { "retentionMs": 3600000 } }] }
 *
 * `config` holds only the topic's overrides; the broker lays them over its default topic config.
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
}

const REGISTRY_VERSION = 1

const RegistryFile = Schema.Struct({
  version: Schema.Literal(REGISTRY_VERSION),
  topics: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      partitions: Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0)),
      config: Schema.Record(Schema.String, Schema.Unknown),
    }),
  ),
})

/** The directory of the broker's own files inside its data directory. */
export const clusterDir = (dataDir: string): string => join(dataDir, '__cluster')

export const topicRegistryFile = (dataDir: string): string => join(clusterDir(dataDir), 'topics.json')

/** The persisted topics, in file order; none when the file does not exist yet. */
export const readTopicRegistry = (dataDir: string): TopicRecord[] => {
  const file = topicRegistryFile(dataDir)
  const text = readFileIfExists(file)
  if (text === undefined) return []
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
  return decoded.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions, config: topic.config }))
}

/**
 * Replaces the persisted topics by `topics`, atomically. `freesSpace` when the write is what lets
 * space be freed (a topic deleted): on a full disk it may use the reserve (see atomic-file.ts).
 */
export const writeTopicRegistry = (dataDir: string, topics: Iterable<TopicRecord>, options: { readonly freesSpace?: boolean } = {}): void => {
  const records = Array.from(topics, (topic) => ({ name: topic.name, partitions: topic.partitions, config: topic.config }))
  const content = `${JSON.stringify({ version: REGISTRY_VERSION, topics: records }, null, 2)}\n`
  writeFileAtomically(topicRegistryFile(dataDir), content, { useReserve: options.freesSpace === true })
}
