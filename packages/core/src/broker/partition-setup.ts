/**
 * Bringing new partitions into being, all or nothing: their directories prepared (a leftover
 * that holds records is never removed to make room), their metadata written and their logs
 * opened, in chunks that yield to the event loop so a large topic never blocks the process. If
 * any step fails, whatever was opened is closed and the new (empty) directories are removed.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { type OpenedPartition, openPartition, type PartitionActorOptions, partitionLogDir } from '../partition/partition-actor.js'
import { StrayPartitionDirectoryError, TopicCreationFailedError } from './broker-errors.js'
import type { Topic } from './broker-state.js'
import { holdsRecords, readPartitionMetadata, removePartitionDir, writePartitionMetadataAsync } from './partition-metadata.js'

/** Partitions handled between two yields to the event loop. */
export const PARTITION_CHUNK = 64

/** Runs `work(n)` for n in [from, to), `chunk` at a time in parallel, yielding between chunks. */
export const forEachPartition = async (
  from: number,
  to: number,
  work: (n: number) => void | Promise<void>,
  chunk = PARTITION_CHUNK,
): Promise<void> => {
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk)
    const running: Array<void | Promise<void>> = []
    for (let n = start; n < end; n++) running.push(work(n))
    await Promise.all(running)
    await yieldToEventLoop()
  }
}

const failure = (topic: string, partition: number, error: unknown): TopicCreationFailedError =>
  new TopicCreationFailedError({
    topic,
    partition,
    code: (error as NodeJS.ErrnoException | undefined)?.code,
    reason: error instanceof Error ? error.message : String(error),
  })

/**
 * Opens partitions [from, to) of `topic` for the first time: each directory is cleared of what a
 * deleted topic (or an earlier failed creation) left, unless it holds records of a topic not
 * deleted (StrayPartitionDirectoryError), then given its metadata, then its log is opened.
 */
export const openNewPartitions = async (
  dataDir: string,
  topic: Topic,
  from: number,
  deletedTopicIds: ReadonlySet<string>,
  optionsOf: (partition: number) => PartitionActorOptions,
): Promise<OpenedPartition[]> => {
  const to = topic.partitionCount
  const opened: Array<OpenedPartition | undefined> = []
  const prepared: number[] = []
  let firstError: unknown
  const attempt = async (n: number): Promise<void> => {
    if (firstError !== undefined) return
    try {
      const dir = partitionLogDir(dataDir, topic.name, n)
      const read = readPartitionMetadata(dir)
      const leftoverId = read.kind === 'ok' ? read.metadata.topicId : 'unknown'
      if (holdsRecords(dir) && !deletedTopicIds.has(leftoverId)) throw new StrayPartitionDirectoryError({ topic: topic.name, dir })
      removePartitionDir(dir, leftoverId)
      prepared.push(n)
      await writePartitionMetadataAsync(dir, { topic: topic.name, partition: n, topicId: topic.topicId, partitionCount: to, config: topic.overrides })
      opened[n - from] = await openPartition(optionsOf(n))
    } catch (error) {
      firstError ??= error instanceof StrayPartitionDirectoryError ? error : failure(topic.name, n, error)
    }
  }
  await forEachPartition(from, to, attempt)
  if (firstError === undefined) return opened as OpenedPartition[]
  await Promise.allSettled(opened.map((partition) => partition?.log.close()))
  for (const n of prepared) {
    const dir = partitionLogDir(dataDir, topic.name, n)
    try {
      // Only what this attempt made: a directory that somehow holds records stays.
      if (!holdsRecords(dir)) removePartitionDir(dir, topic.topicId)
    } catch {
      // An empty directory left here is cleared by the next creation of the name; the cause matters more.
    }
  }
  throw firstError
}
