/**
 * How a group coordinator comes back at every start: the group's committed offsets replayed from
 * its partition of `__consumer_offsets`, tombstones for those of topics that are gone, and an
 * Empty group with a fresh incarnation (membership is not persisted: members join again).
 */
import type { ActorRef } from '../actor/actor-ref.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { newGroupState, type GroupState } from './group-state.js'
import { replayOffsetRecords, type OffsetRecord } from './offset-record.js'
import { appendOffsetRecords, readOffsetRecords } from './offsets-topic.js'

export interface RestoreOptions {
  readonly groupId: string
  /** The offsets-topic partition holding this group's records. */
  readonly offsetsPartition: ActorRef<PartitionMessage>
  readonly heartbeatIntervalMs?: number
  readonly minSessionTimeoutMs?: number
  readonly maxSessionTimeoutMs?: number
  /** A value never used before for this group; default: time-based, unique in this process. */
  readonly incarnation?: () => string
}

let lastIncarnationMs = 0

/**
 * Milliseconds in base 36, strictly increasing within the process: member ids of a restarted
 * coordinator never repeat those of an earlier one, so a member of the old one cannot pass for new.
 */
export const timeIncarnation = (): string => {
  lastIncarnationMs = Math.max(lastIncarnationMs + 1, Date.now())
  return lastIncarnationMs.toString(36)
}

/** The group as it starts, given the cluster's topics; fails (so the start fails) if a read or the tombstones fail. */
export const restoreGroupState = async (options: RestoreOptions, topics: ReadonlyMap<string, number>): Promise<GroupState> => {
  const { groupId, offsetsPartition } = options
  const restored = replayOffsetRecords(groupId, await readOffsetRecords(offsetsPartition))
  const exists = (entry: { readonly topic: string; readonly partition: number }) => entry.partition < (topics.get(entry.topic) ?? 0)
  const gone: OffsetRecord[] = restored
    .filter((entry) => !exists(entry))
    .map(({ topic, partition }) => ({ _tag: 'OffsetDeleted', groupId, topic, partition }))
  // Offsets of a deleted topic must not come back if a topic of that name is created again.
  if (gone.length > 0) await appendOffsetRecords(offsetsPartition, gone, Date.now())
  return newGroupState({
    groupId,
    incarnation: (options.incarnation ?? timeIncarnation)(),
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    minSessionTimeoutMs: options.minSessionTimeoutMs,
    maxSessionTimeoutMs: options.maxSessionTimeoutMs,
    topics,
    committed: restored.filter(exists),
  })
}
