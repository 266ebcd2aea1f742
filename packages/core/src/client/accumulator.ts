/**
 * The producer's record accumulator: records, already serialized, are appended to an open batch
 * per partition; a batch closes (becomes ready to send) when the next record would take it past
 * batchBytes, when lingerMs have passed since its first record, or on flush. No promise per
 * record here, and no object kept per record: each is written into its batch's bytes at once.
 */
import { BatchBuilder, type RecordHeader } from '@rivulet/storage'
import { InvalidPartitionChoiceError } from './errors.js'
import type { Partitioner, PartitionerArgs } from './partitioner.js'

/** Who hears what became of a record: one object per send() call or per produce() subscription. */
export interface RecordSink {
  delivered(index: number, topic: string, partition: number, offset: bigint, timestamp: number): void
  /** `partition` when the record had one (it was in a batch), for the caller to say where it failed. */
  failed(index: number, error: unknown, partition?: number): void
}

/** A serialized record on its way into a batch, and whom to tell about it. */
export interface PendingRecord {
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: readonly RecordHeader[] | undefined
  readonly timestamp: number
  /** The partition asked for, or -1 for the partitioner's choice. */
  readonly partition: number
  readonly sink: RecordSink
  readonly index: number
}

export class ProducerBatch {
  /** The records, as bytes. */
  readonly builder: BatchBuilder
  /** Per record, in order: whom to tell, its index there, its timestamp. */
  readonly sinks: RecordSink[] = []
  readonly indexes: number[] = []
  readonly timestamps: number[] = []
  lingerTimer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined = undefined
  /** Set when the batch is first sent; retries send these same bytes (same sequence). */
  encoded: Buffer | undefined = undefined
  /** Which producer id (by the sender's count) the batch was encoded under; -1 before. */
  identityGeneration = -1
  /** Delivered or failed: every record's sink has heard. */
  finished = false
  private waiters: (() => void)[] | undefined = undefined

  constructor(
    readonly topic: string,
    readonly partition: number,
    initialCapacity: number,
  ) {
    this.builder = new BatchBuilder(initialCapacity)
  }

  get count(): number {
    return this.builder.count
  }

  add(record: PendingRecord): void {
    this.builder.append(record.key, record.value, record.headers, record.timestamp)
    this.sinks.push(record.sink)
    this.indexes.push(record.index)
    this.timestamps.push(record.timestamp)
  }

  /** Resolves when the batch is finished (flush waits on these). */
  whenFinished(): Promise<void> {
    if (this.finished) return Promise.resolve()
    return new Promise((resolve) => (this.waiters ??= []).push(resolve))
  }

  finish(): void {
    this.finished = true
    const waiters = this.waiters
    this.waiters = undefined
    if (waiters !== undefined) for (const resolve of waiters) resolve()
  }
}

export class PartitionQueue {
  open: ProducerBatch | undefined = undefined
  /** Closed batches not yet sent, oldest first. */
  readonly ready: ProducerBatch[] = []
  /** At most one batch per partition in flight: the simplest order that survives retries. */
  inFlight: ProducerBatch | undefined = undefined
  /** Idempotence: the next batch's baseSequence, for the producer id of `sequenceOwner`. */
  nextSequence = 0
  sequenceOwner = -1
  readonly topic: string

  constructor(
    readonly owner: TopicQueues,
    readonly partition: number,
  ) {
    this.topic = owner.name
  }
}

export class TopicQueues {
  readonly partitions: PartitionQueue[] = []

  constructor(readonly name: string) {}

  get partitionCount(): number {
    return this.partitions.length
  }

  /** Partitions only grow (Kafka never removes one). */
  grow(partitionCount: number): void {
    for (let p = this.partitions.length; p < partitionCount; p++) this.partitions.push(new PartitionQueue(this, p))
  }
}

export interface AccumulatorOptions {
  readonly lingerMs: number
  readonly batchBytes: number
  readonly partitioner: Partitioner
  /** A batch of this queue closed: the sender may take it. */
  readonly onReady: (queue: PartitionQueue) => void
}

/** Batches start this big and double while they fill: a slow topic does not hold batchBytes each. */
const INITIAL_BATCH_CAPACITY = 4096

export class RecordAccumulator {
  private readonly topics = new Map<string, TopicQueues>()
  private readonly onNewBatch: ((topic: string, previous: number, count: number) => void) | undefined
  // Reused for every partitioner call: the arguments are only valid during the call.
  private readonly args: { topic: string; key: Buffer | null; value: Buffer | null; partitionCount: number } = {
    topic: '',
    key: null,
    value: null,
    partitionCount: 1,
  }

  constructor(private readonly options: AccumulatorOptions) {
    const partitioner = options.partitioner as Partitioner & { onNewBatch?: unknown }
    this.onNewBatch = typeof partitioner.onNewBatch === 'function' ? partitioner.onNewBatch.bind(partitioner) : undefined
  }

  /** The queues of a topic with at least `partitionCount` partitions. */
  topic(name: string, partitionCount: number): TopicQueues {
    let queues = this.topics.get(name)
    if (queues === undefined) {
      queues = new TopicQueues(name)
      this.topics.set(name, queues)
    }
    queues.grow(partitionCount)
    return queues
  }

  /** Every partition queue, for flush and close. */
  *queues(): IterableIterator<PartitionQueue> {
    for (const topic of this.topics.values()) yield* topic.partitions
  }

  /** The partition a record goes to; throws InvalidPartitionChoiceError for a bad choice by a custom partitioner. */
  choosePartition(topic: TopicQueues, record: PendingRecord): number {
    const args = this.args
    args.topic = topic.name
    args.key = record.key
    args.value = record.value
    args.partitionCount = topic.partitionCount
    const partition = this.options.partitioner(args as PartitionerArgs)
    if (!(Number.isInteger(partition) && partition >= 0 && partition < topic.partitionCount)) {
      throw new InvalidPartitionChoiceError({ topic: topic.name, chosen: partition, partitionCount: topic.partitionCount })
    }
    return partition
  }

  /** Adds a record whose partition is known (or chosen here). */
  append(topic: TopicQueues, record: PendingRecord): void {
    let partition = record.partition >= 0 ? record.partition : this.choosePartition(topic, record)
    let queue = topic.partitions[partition]
    let batch = queue.open
    if (batch !== undefined && batch.builder.sizeBytes + this.sizeIn(batch, record) > this.options.batchBytes) {
      this.close(queue)
      // A sticky partitioner moves on when its batch closes: a keyless record follows it.
      if (record.partition < 0 && record.key === null && this.onNewBatch !== undefined) {
        partition = this.choosePartition(topic, record)
        queue = topic.partitions[partition]
      }
      batch = queue.open
    }
    if (batch === undefined) batch = this.openBatch(queue)
    batch.add(record)
  }

  private sizeIn(batch: ProducerBatch, record: PendingRecord): number {
    return batch.builder.recordBytes(record.key, record.value, record.headers, record.timestamp)
  }

  /** Closes every open batch (flush, close). */
  closeAll(): void {
    for (const queue of this.queues()) if (queue.open !== undefined) this.close(queue)
  }

  /** The next ready batch of a queue, oldest first. */
  takeReady(queue: PartitionQueue): ProducerBatch | undefined {
    return queue.ready.shift()
  }

  private openBatch(queue: PartitionQueue): ProducerBatch {
    const batch = new ProducerBatch(queue.topic, queue.partition, Math.min(this.options.batchBytes, INITIAL_BATCH_CAPACITY))
    queue.open = batch
    const lingerMs = this.options.lingerMs
    // lingerMs 0 still gathers what is sent in the same tick: setImmediate runs after it.
    batch.lingerTimer = lingerMs === 0 ? setImmediate(this.lingerExpired, this, queue, batch) : setTimeout(this.lingerExpired, lingerMs, this, queue, batch)
    return batch
  }

  private lingerExpired(this: void, self: RecordAccumulator, queue: PartitionQueue, batch: ProducerBatch): void {
    batch.lingerTimer = undefined
    if (queue.open === batch) self.close(queue)
  }

  private close(queue: PartitionQueue): void {
    const batch = queue.open
    if (batch === undefined) return
    queue.open = undefined
    if (batch.lingerTimer !== undefined) {
      if (this.options.lingerMs === 0) clearImmediate(batch.lingerTimer as ReturnType<typeof setImmediate>)
      else clearTimeout(batch.lingerTimer as ReturnType<typeof setTimeout>)
      batch.lingerTimer = undefined
    }
    queue.ready.push(batch)
    this.onNewBatch?.(queue.topic, queue.partition, queue.owner.partitionCount)
    this.options.onReady(queue)
  }
}
