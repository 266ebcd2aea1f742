/**
 * What a group persists about offsets, and how it comes back: the records the coordinator asks
 * its actor to append to the compacted offsets topic, their key/value bytes (the key names the
 * group and partition, so compaction keeps the last commit of each; a deletion is a null value,
 * a tombstone), and the replay that rebuilds a group's committed offsets after a restart.
 *
 * Bytes: key = JSON ["offset", 1, groupId, topic, partition]; value = JSON
 * {"offset": "<decimal>", "metadata": string, "commitTimestampMs": number}. JSON keeps them
 * readable with `rivulet dump-log`; the offset travels as a decimal string to stay exact.
 */
import { InvalidOffsetRecordError } from './group-errors.js'
import type { CommittedOffset } from './group-state.js'
import { compareTopicPartitions, topicPartitionKey } from './topic-partition.js'

export type OffsetRecord =
  | {
      readonly _tag: 'OffsetCommitted'
      readonly groupId: string
      readonly topic: string
      readonly partition: number
      readonly offset: bigint
      readonly metadata: string
      readonly commitTimestampMs: number
    }
  | { readonly _tag: 'OffsetDeleted'; readonly groupId: string; readonly topic: string; readonly partition: number }

const KEY_KIND = 'offset'
const KEY_VERSION = 1

export const encodeOffsetRecord = (record: OffsetRecord): { readonly key: Buffer; readonly value: Buffer | null } => ({
  key: Buffer.from(JSON.stringify([KEY_KIND, KEY_VERSION, record.groupId, record.topic, record.partition])),
  value:
    record._tag === 'OffsetDeleted'
      ? null
      : Buffer.from(JSON.stringify({ offset: record.offset.toString(), metadata: record.metadata, commitTimestampMs: record.commitTimestampMs })),
})

const parse = (bytes: Buffer, what: string): unknown => {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new InvalidOffsetRecordError({ reason: `the ${what} is not JSON` })
  }
}

/** The record these key/value bytes hold; throws InvalidOffsetRecordError when they hold none. */
export const decodeOffsetRecord = (key: Buffer, value: Buffer | null): OffsetRecord => {
  const k = parse(key, 'key')
  if (
    !Array.isArray(k) ||
    k.length !== 5 ||
    k[0] !== KEY_KIND ||
    k[1] !== KEY_VERSION ||
    typeof k[2] !== 'string' ||
    typeof k[3] !== 'string' ||
    !Number.isInteger(k[4]) ||
    k[4] < 0
  ) {
    throw new InvalidOffsetRecordError({ reason: `key ${key.toString('utf8').slice(0, 200)} is not ["offset", 1, group, topic, partition]` })
  }
  const [, , groupId, topic, partition] = k as [string, number, string, string, number]
  if (value === null) return { _tag: 'OffsetDeleted', groupId, topic, partition }
  const v = parse(value, 'value') as { offset?: unknown; metadata?: unknown; commitTimestampMs?: unknown } | null
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.offset !== 'string' ||
    !/^\d+$/.test(v.offset) ||
    typeof v.metadata !== 'string' ||
    typeof v.commitTimestampMs !== 'number'
  ) {
    throw new InvalidOffsetRecordError({ reason: `value for ${groupId} ${topic}-${partition} lacks offset, metadata or commitTimestampMs` })
  }
  return { _tag: 'OffsetCommitted', groupId, topic, partition, offset: BigInt(v.offset), metadata: v.metadata, commitTimestampMs: v.commitTimestampMs }
}

/**
 * The committed offsets of `groupId` after these records in log order (the last record per
 * partition wins; a deletion removes it; other groups' records are skipped), sorted. Hand them
 * to newGroupState({ committed }).
 */
export const replayOffsetRecords = (groupId: string, records: Iterable<OffsetRecord>): CommittedOffset[] => {
  const committed = new Map<string, CommittedOffset>()
  for (const record of records) {
    if (record.groupId !== groupId) continue
    const key = topicPartitionKey(record)
    if (record._tag === 'OffsetDeleted') committed.delete(key)
    else {
      const { topic, partition, offset, metadata, commitTimestampMs } = record
      committed.set(key, { topic, partition, offset, metadata, commitTimestampMs })
    }
  }
  return [...committed.values()].sort(compareTopicPartitions)
}
