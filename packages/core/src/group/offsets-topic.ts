/**
 * The internal compacted topic `__consumer_offsets`, where group coordinators persist committed
 * offsets: its config, which partition holds a group's records, the one batch a commit writes,
 * and the reads that bring records back (a coordinator's start, the broker's ListGroups).
 *
 * A group's records all go to partition `murmur2(groupId) % partitionCount`, so one partition
 * replay restores a group. Record keys name (group, topic, partition) (see offset-record.ts), so
 * compaction keeps the last commit of each, and a deletion's tombstone removes it.
 */
import { batchSizeAt, encodeRecordBatch, lastOffsetAt, RecordCursor } from '@rivulet/storage'
import type { ActorRef } from '../actor/actor-ref.js'
import { keyedPartition } from '../partitioning/murmur2.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { decodeOffsetRecord, encodeOffsetRecord, type OffsetRecord } from './offset-record.js'
import { topicPartitionKey } from './topic-partition.js'

export const OFFSETS_TOPIC = '__consumer_offsets'

/**
 * The offsets topic's config overrides: compacted (never deleted by age or size), and flushed
 * before every reply whatever the broker's default, since an acknowledged commit must survive.
 */
export const offsetsTopicConfig = (segmentBytes: number) => ({ cleanupPolicy: 'compact', flush: 'every-batch', segmentBytes }) as const

/** The partition of the offsets topic holding `groupId`'s records. */
export const offsetsPartitionFor = (groupId: string, partitionCount: number): number =>
  keyedPartition(Buffer.from(groupId, 'utf8'), partitionCount)

/** One RecordBatch holding `records` (at least one), so a commit is appended, and fails, whole. */
export const encodeOffsetBatch = (records: readonly OffsetRecord[], nowMs: number): Buffer =>
  encodeRecordBatch(records.map(encodeOffsetRecord), { now: nowMs })

/** Appends `records` as one batch and resolves once it is durable (acks all). */
export const appendOffsetRecords = async (partition: ActorRef<PartitionMessage>, records: readonly OffsetRecord[], nowMs: number): Promise<void> => {
  const batch = encodeOffsetBatch(records, nowMs)
  await partition.ask((replyTo) => ({ _tag: 'Produce', batch, acks: 'all', replyTo, internalTopicsAllowed: true }))
}

const READ_BYTES = 1 << 20

/**
 * Every offset record in an offsets-topic partition, from its log start to its high watermark,
 * in log order. Records that do not decode (someone produced to the topic by hand) are skipped:
 * they cannot be a coordinator's, and must not keep a group from loading.
 */
export const readOffsetRecords = async (partition: ActorRef<PartitionMessage>): Promise<OffsetRecord[]> => {
  const records: OffsetRecord[] = []
  let offset = (await partition.ask((replyTo) => ({ _tag: 'ListOffset', spec: 'earliest', replyTo }))) ?? 0n
  for (;;) {
    const fetched = await partition.ask((replyTo) => ({ _tag: 'Fetch', offset, maxBytes: READ_BYTES, maxWaitMs: 0, replyTo }))
    const bytes = fetched.records
    if (bytes.length === 0) break
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      const cursor = new RecordCursor(bytes, at)
      while (cursor.next()) {
        if (cursor.key === null) continue
        try {
          records.push(decodeOffsetRecord(cursor.key, cursor.value))
        } catch {
          continue
        }
      }
      offset = lastOffsetAt(bytes, at) + 1n
    }
    if (offset >= fetched.highWatermark) break
  }
  return records
}

/** The groups that still have committed offsets after these records (in log order). */
export const groupsWithOffsets = (records: Iterable<OffsetRecord>): Set<string> => {
  const live = new Map<string, Set<string>>()
  for (const record of records) {
    let keys = live.get(record.groupId)
    if (keys === undefined) live.set(record.groupId, (keys = new Set()))
    if (record._tag === 'OffsetCommitted') keys.add(topicPartitionKey(record))
    else keys.delete(topicPartitionKey(record))
  }
  return new Set([...live].filter(([, keys]) => keys.size > 0).map(([groupId]) => groupId))
}
