/**
 * Choosing a partition for a record, as Kafka's Java producer does, so a key lands on the same
 * partition here as it would in Kafka: `toPositive(murmur2(keyBytes)) % partitionCount`.
 * Records without a key stick to one partition until the producer reports that a batch for it
 * was completed (KIP-480's sticky partitioner), which fills batches instead of spreading tiny ones.
 */
import { keyedPartition } from '../partitioning/murmur2.js'

export interface PartitionerArgs {
  readonly topic: string
  /** The serialized key; null for a record without one. */
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** At least 1. */
  readonly partitionCount: number
}

/** Returns a partition in [0, partitionCount). */
export type Partitioner = (args: PartitionerArgs) => number

/** A partitioner that wants to hear when the producer closed a batch for a partition. */
export interface BatchAwarePartitioner extends Partitioner {
  onNewBatch(topic: string, previousPartition: number, partitionCount: number): void
}

export interface DefaultPartitionerOptions {
  /** Source of randomness for picking sticky partitions; uniform in [0, 1). */
  readonly random?: () => number
}

/**
 * Kafka's default partitioner: murmur2 of the key, or for a keyless record the topic's current
 * sticky partition, which moves to another one (at random) on `onNewBatch`.
 */
export const createDefaultPartitioner = (options: DefaultPartitionerOptions = {}): BatchAwarePartitioner => {
  const random = options.random ?? Math.random
  const sticky = new Map<string, number>()

  const pick = (topic: string, partitionCount: number, avoid: number): number => {
    let partition = Math.floor(random() * partitionCount)
    // Moving on means a different partition whenever there is one to move to.
    if (partition === avoid && partitionCount > 1) partition = (partition + 1 + Math.floor(random() * (partitionCount - 1))) % partitionCount
    sticky.set(topic, partition)
    return partition
  }

  const partitioner = (args: PartitionerArgs): number => {
    const { partitionCount } = args
    if (!(partitionCount >= 1)) throw new RangeError(`partitionCount must be at least 1, got ${partitionCount}`)
    if (args.key !== null) return keyedPartition(args.key, partitionCount)
    const current = sticky.get(args.topic)
    return current !== undefined && current < partitionCount ? current : pick(args.topic, partitionCount, -1)
  }

  partitioner.onNewBatch = (topic: string, previousPartition: number, partitionCount: number): void => {
    // A batch closed on a partition we already left (another batch raced it) changes nothing.
    const current = sticky.get(topic)
    if (current === undefined || current === previousPartition) pick(topic, partitionCount, previousPartition)
  }

  return partitioner
}
