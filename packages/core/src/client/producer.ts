/**
 * The producer: serializes records with their topic's serdes, picks partitions, and hands them
 * to the accumulator; the sender turns closed batches into Produce asks. send() costs one promise
 * per call whatever the number of records; produce() (operators/produce.ts) costs none per record.
 *
 *   const producer = new Producer(connection, { acks: 'all' })
 *   const { partition, offset } = await producer.send(orders, { key: 'u1', value: { amount: 10 } })
 */
import { ClosedError, UnknownPartitionError } from '../errors.js'
import { InternalTopicError, isInternalTopic } from '../internal-topics.js'
import { SerializationError } from '../serde/errors.js'
import type { SerdeContext } from '../serde/serde.js'
import { type PendingRecord, type RecordSink, RecordAccumulator, type TopicQueues } from './accumulator.js'
import type { ClusterConnection } from './cluster-connection.js'
import { InvalidProducerRecordError, PartialSendError, type SendRecordResult } from './errors.js'
import { MetadataCache } from './metadata.js'
import { decodeProducerOptions, type ProducerOptions, type ProducerOptionsInput } from './options.js'
import { InvalidHeaderShape, normalizeHeaders, type ProducerRecord, type RecordMetadata } from './records.js'
import { type ProducerStats, Sender } from './sender.js'
import { type KeyIn, resolveTopic, type Topic, type TopicLike, type ValueIn } from './topic.js'

/** A topic handle with its serde contexts made once. */
interface PreparedTopic {
  readonly name: string
  readonly handle: Topic<unknown, unknown>
  readonly keyContext: SerdeContext
  readonly valueContext: SerdeContext
}

/** What a serde returned, checked: a serde that hands back anything but bytes would corrupt the batch. */
const bytesFrom = (serialized: unknown, context: SerdeContext): Buffer | null => {
  if (serialized === null || Buffer.isBuffer(serialized)) return serialized
  if (serialized instanceof Uint8Array) return Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength)
  const message = `the ${context.target} serde returned ${typeof serialized}, not bytes (Serde.bytes takes Buffers only)`
  throw new SerializationError({ topic: context.topic, target: context.target, path: '', issues: [{ path: '', message }] })
}

/**
 * The sink of one send() call: one promise, settled when every record has been heard of. When
 * none was written it rejects with the (first) failure itself; when some were and some were not,
 * with a PartialSendError saying which, so that a retry need not duplicate the written ones.
 */
class SendCall implements RecordSink {
  readonly results: RecordMetadata[]
  readonly promise: Promise<RecordMetadata | RecordMetadata[]>
  private remaining: number
  private settled = false
  /** Per record, when it failed: why and where; allocated at the first failure only. */
  private failures: Array<{ readonly error: unknown; readonly partition: number | undefined } | undefined> | undefined
  private resolve!: (value: RecordMetadata | RecordMetadata[]) => void
  private reject!: (error: unknown) => void

  constructor(
    count: number,
    private readonly single: boolean,
    private readonly topic: string,
  ) {
    this.results = new Array(count)
    this.remaining = count
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  delivered(index: number, topic: string, partition: number, offset: bigint, timestamp: number): void {
    this.results[index] = { topic, partition, offset, timestamp }
    if (--this.remaining === 0) this.settle()
  }

  failed(index: number, error: unknown, partition?: number): void {
    this.failures ??= new Array(this.results.length)
    this.failures[index] ??= { error, partition }
    if (--this.remaining === 0) this.settle()
  }

  private settle(): void {
    if (this.settled) return
    this.settled = true
    const failures = this.failures
    if (failures === undefined) return this.resolve(this.single ? this.results[0] : this.results)
    const results: SendRecordResult[] = Array.from({ length: this.results.length }, (_, index) => {
      const failure = failures[index]
      if (failure !== undefined) return { index, written: false, partition: failure.partition, error: failure.error }
      const { partition, offset } = this.results[index]!
      return { index, written: true, partition, offset }
    })
    if (!results.some((result) => result.written)) return this.reject(failures.find((failure) => failure !== undefined)!.error)
    this.reject(new PartialSendError({ topic: this.topic, results }))
  }
}

/**
 * Adds one record without a promise: `sink` hears its fate. Throws (nothing sent) when the
 * producer is closed or the record does not serialize. For operators such as produce() and
 * `rivulet perf`; not part of the public API (exported from @rivulet/core/internal).
 */
export let enqueueRecord: (producer: Producer, topic: TopicLike, record: ProducerRecord<unknown, unknown>, sink: RecordSink, index: number) => void

export class Producer {
  readonly options: ProducerOptions
  private readonly metadata: MetadataCache
  private readonly accumulator: RecordAccumulator
  private readonly sender: Sender
  /**
   * Records of topics whose metadata is being asked for, in send order, serialized already: they
   * were serialized when sent (so that a refusal rejects the call before anything is sent), and
   * that is the only time their serdes run.
   */
  private readonly waiting = new Map<string, PendingRecord[]>()
  private readonly namedTopics = new Map<string, PreparedTopic>()
  private readonly handleTopics = new WeakMap<Topic<unknown, unknown>, PreparedTopic>()
  private closing: Promise<void> | undefined = undefined

  constructor(connection: ClusterConnection, options?: ProducerOptionsInput) {
    this.options = decodeProducerOptions(options)
    this.metadata = new MetadataCache(connection, {
      requestTimeoutMs: this.options.requestTimeoutMs,
      maxAgeMs: this.options.metadataMaxAgeMs,
      autoCreate: true,
    })
    this.sender = new Sender(connection, this.metadata, this.options)
    this.accumulator = new RecordAccumulator({
      lingerMs: this.options.lingerMs,
      batchBytes: this.options.batchBytes,
      partitioner: this.options.partitioner,
      onReady: (queue) => this.sender.trySend(queue),
    })
  }

  /**
   * Sends one record (resolving to its metadata) or an array (resolving to theirs, in order).
   * A key or value its serde refuses rejects the whole call before anything is sent.
   */
  send<T extends TopicLike>(topic: T, record: ProducerRecord<KeyIn<T>, ValueIn<T>>): Promise<RecordMetadata>
  send<T extends TopicLike>(topic: T, records: readonly ProducerRecord<KeyIn<T>, ValueIn<T>>[]): Promise<RecordMetadata[]>
  send(topic: TopicLike, input: ProducerRecord<unknown, unknown> | readonly ProducerRecord<unknown, unknown>[]): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.closing !== undefined) return Promise.reject(new ClosedError({ what: 'producer' }))
    const single = !Array.isArray(input)
    const records = (single ? [input] : input) as readonly ProducerRecord<unknown, unknown>[]
    if (records.length === 0) return Promise.resolve([])
    let call: SendCall
    try {
      const prepared = this.prepareTopic(topic)
      call = new SendCall(records.length, single, prepared.name)
      const now = Date.now()
      const pending: PendingRecord[] = new Array(records.length)
      // Everything is serialized before anything is appended: a call is sent whole or not at all.
      for (let i = 0; i < records.length; i++) pending[i] = this.serialize(prepared, records[i], call, i, now)
      const queues = this.queuesFor(prepared.name, pending, now)
      if (queues === undefined) {
        // A loop, not push(...pending): a call may hold more records than a call takes arguments.
        const waiting = this.waitingFor(prepared.name)
        for (const record of pending) waiting.push(record)
      } else {
        for (const record of pending) this.accumulator.append(queues, record)
      }
    } catch (error) {
      return Promise.reject(error)
    }
    return call.promise
  }

  static {
    enqueueRecord = (producer, topic, record, sink, index) => producer.enqueue(topic, record, sink, index)
  }

  private enqueue(topic: TopicLike, record: ProducerRecord<unknown, unknown>, sink: RecordSink, index: number): void {
    if (this.closing !== undefined) throw new ClosedError({ what: 'producer' })
    const prepared = this.prepareTopic(topic)
    const now = Date.now()
    const pending = this.serialize(prepared, record, sink, index, now)
    const queues = this.queuesFor(prepared.name, pending, now)
    if (queues === undefined) this.waitingFor(prepared.name).push(pending)
    else this.accumulator.append(queues, pending)
  }

  /** Sends every batch now (linger cut short) and resolves when each has been answered. */
  async flush(): Promise<void> {
    // Records waiting for metadata join batches as soon as it comes.
    await Promise.allSettled(this.metadata.pending())
    this.accumulator.closeAll()
    const finished: Promise<void>[] = []
    for (const queue of this.accumulator.queues()) {
      if (queue.inFlight !== undefined) finished.push(queue.inFlight.whenFinished())
      for (const batch of queue.ready) finished.push(batch.whenFinished())
    }
    await Promise.all(finished)
  }

  /** Flushes, then refuses further sends with ClosedError. A second close waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.flush()
    return this.closing
  }

  get stats(): ProducerStats {
    return this.sender.stats
  }

  private prepareTopic(topic: TopicLike): PreparedTopic {
    const cached = typeof topic === 'string' ? this.namedTopics.get(topic) : this.handleTopics.get(topic)
    if (cached !== undefined) return cached
    const handle = resolveTopic(topic)
    // Refused here, before a batch is made; the partition refuses it too (internalTopicsAllowed).
    if (isInternalTopic(handle.name)) throw new InternalTopicError({ topic: handle.name, operation: 'produce' })
    const prepared: PreparedTopic = {
      name: handle.name,
      handle,
      keyContext: { topic: handle.name, target: 'key' },
      valueContext: { topic: handle.name, target: 'value' },
    }
    if (typeof topic === 'string') this.namedTopics.set(topic, prepared)
    else this.handleTopics.set(topic, prepared)
    return prepared
  }

  private serialize(topic: PreparedTopic, record: ProducerRecord<unknown, unknown>, sink: RecordSink, index: number, now: number): PendingRecord {
    if (typeof record !== 'object' || record === null) {
      throw new InvalidProducerRecordError({ topic: topic.name, index, reason: `expected a record object, got ${record === null ? 'null' : typeof record}` })
    }
    const { handle } = topic
    const key = record.key === undefined || record.key === null ? null : bytesFrom(handle.key.serialize(record.key, topic.keyContext), topic.keyContext)
    const value =
      record.value === undefined || record.value === null ? null : bytesFrom(handle.value.serialize(record.value, topic.valueContext), topic.valueContext)
    const timestamp = record.timestamp ?? now
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new InvalidProducerRecordError({ topic: topic.name, index, reason: `timestamp ${timestamp} is not a non-negative safe integer (ms since the epoch)` })
    }
    const partition = record.partition ?? -1
    if (record.partition !== undefined && !(Number.isInteger(partition) && partition >= 0)) {
      throw new InvalidProducerRecordError({ topic: topic.name, index, reason: `partition ${partition} is not a non-negative integer` })
    }
    let headers: ReturnType<typeof normalizeHeaders>
    try {
      headers = normalizeHeaders(record.headers)
    } catch (error) {
      if (error instanceof InvalidHeaderShape) throw new InvalidProducerRecordError({ topic: topic.name, index, reason: error.reason })
      throw error
    }
    return { key, value, headers, timestamp, partition, sink, index }
  }

  /**
   * The topic's queues when records can be appended now: its partitions are known, nothing of it
   * is waiting (order), and every partition asked for exists. Otherwise the records must wait.
   */
  private queuesFor(topic: string, records: readonly PendingRecord[] | PendingRecord, nowMs: number): TopicQueues | undefined {
    const known = this.metadata.current(topic, nowMs)
    if (known === undefined || this.waiting.has(topic)) return undefined
    const partitionCount = known.metadata.partitionCount
    if (Array.isArray(records)) {
      for (const record of records) if (record.partition >= partitionCount) return undefined
    } else if ((records as PendingRecord).partition >= partitionCount) {
      return undefined
    }
    return this.accumulator.topic(topic, partitionCount)
  }

  /** The records waiting for `topic`; the first to wait asks the broker (again, if it was known). */
  private waitingFor(topic: string): PendingRecord[] {
    const existing = this.waiting.get(topic)
    if (existing !== undefined) return existing
    const waiting: PendingRecord[] = []
    this.waiting.set(topic, waiting)
    const lookup = this.metadata.current(topic) === undefined ? this.metadata.get(topic) : this.metadata.load(topic)
    lookup.then(
      (known) => {
        this.waiting.delete(topic)
        this.release(waiting, this.accumulator.topic(topic, known.metadata.partitionCount))
      },
      (error: unknown) => {
        this.waiting.delete(topic)
        // Every record hears it: a send() call settles once all of its records have.
        for (const record of waiting) record.sink.failed(record.index, error)
      },
    )
    return waiting
  }

  private release(waiting: readonly PendingRecord[], queues: TopicQueues): void {
    // A call with a record for a partition that does not exist is refused as a whole; each of
    // its records hears why (a send() call settles once all of its records have).
    const refused = new Map<RecordSink, unknown>()
    for (const { partition, sink } of waiting) {
      if (partition < queues.partitionCount || refused.has(sink)) continue
      refused.set(sink, this.unknownPartition(queues, partition))
    }
    for (const record of waiting) {
      if (refused.has(record.sink)) {
        record.sink.failed(record.index, refused.get(record.sink))
        continue
      }
      try {
        this.accumulator.append(queues, record)
      } catch (error) {
        // A custom partitioner's choice outside the topic.
        refused.set(record.sink, error)
        record.sink.failed(record.index, error)
      }
    }
  }

  private unknownPartition(queues: TopicQueues, partition: number): UnknownPartitionError {
    return new UnknownPartitionError({ topic: queues.name, partition, partitionCount: queues.partitionCount })
  }
}
