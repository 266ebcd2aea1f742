/**
 * The producer's sender: takes closed batches from the accumulator, encodes each once (with the
 * producer id, epoch and the partition's next sequence when idempotent) and asks the partition
 * leader to append it. One batch per partition is in flight at a time, so a retry can never
 * overtake a later batch: order per partition holds without the broker tracking five sequences.
 * A retried batch is the same bytes with the same sequence; the partition answers a duplicate
 * with the original offsets. After a batch fails for good, an idempotent producer asks for a
 * fresh producer id, so the sequences of the batches after it start over cleanly.
 */
import type { ReplyTo } from '../actor/actor-ref.js'
import type { ProducerIdentity } from '../broker/broker-protocol.js'
import type { ProduceResult } from '../partition/partition-protocol.js'
import type { PartitionQueue, ProducerBatch } from './accumulator.js'
import type { MetadataCache } from './metadata.js'
import type { ProducerOptions } from './options.js'
import { retryAfter, unwrapActorFailure } from './retry.js'
import type { ClusterConnection } from './cluster-connection.js'
import { UnknownPartitionError } from '../errors.js'

export interface ProducerStats {
  readonly batchesSent: number
  readonly recordsSent: number
  readonly retries: number
  readonly failedRecords: number
  /** Producer ids asked for so far (1 unless batches failed for good). */
  readonly producerIdRequests: number
}

const SEQUENCE_MODULUS = 2 ** 31

/** The sequence after a batch of `count` records starting at `sequence`: int32, wrapping to 0 past 2^31 - 1 as in Kafka. */
export const nextSequence = (sequence: number, count: number): number => (sequence + count) % SEQUENCE_MODULUS
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const NOT_IDEMPOTENT = { producerId: -1n, producerEpoch: -1, baseSequence: -1 }
const NOBODY: ReplyTo<ProduceResult> = { reply: () => undefined, fail: () => undefined }

export class Sender {
  private identity: ProducerIdentity | undefined = undefined
  private identityGeneration = 0
  private identityRequest: Promise<void> | undefined = undefined
  private readonly awaitingIdentity = new Set<PartitionQueue>()
  private readonly counters = { batchesSent: 0, recordsSent: 0, retries: 0, failedRecords: 0, producerIdRequests: 0 }

  constructor(
    private readonly connection: ClusterConnection,
    private readonly metadata: MetadataCache,
    private readonly options: ProducerOptions,
  ) {}

  get stats(): ProducerStats {
    return { ...this.counters }
  }

  /** Sends the queue's ready batches, one at a time while acks are awaited. */
  trySend(queue: PartitionQueue): void {
    while (queue.inFlight === undefined && queue.ready.length > 0) {
      if (this.options.idempotent && this.identity === undefined) {
        this.awaitingIdentity.add(queue)
        this.requestIdentity()
        return
      }
      const batch = queue.ready.shift()!
      if (!this.encode(queue, batch)) continue
      this.counters.batchesSent++
      if (this.options.acks === 0) {
        const leader = this.leaderOf(queue)
        if (leader instanceof Error) this.failed(queue, batch, leader)
        else {
          leader.tell({ _tag: 'Produce', batch: batch.encoded!, acks: 0, replyTo: NOBODY })
          this.deliver(batch, -1n)
        }
        continue
      }
      queue.inFlight = batch
      this.produce(queue, batch)
        .catch((error: unknown) => retryAfter(unwrapActorFailure(error), () => this.retry(queue, batch), this.options))
        .then(
          (result) => this.produced(queue, batch, result),
          (error: unknown) => this.failed(queue, batch, error),
        )
    }
  }

  private encode(queue: PartitionQueue, batch: ProducerBatch): boolean {
    const compression = this.options.compression
    try {
      if (!this.options.idempotent) {
        batch.encoded = batch.builder.build(NOT_IDEMPOTENT, compression)
        return true
      }
      const identity = this.identity!
      if (queue.sequenceOwner !== this.identityGeneration) {
        queue.sequenceOwner = this.identityGeneration
        queue.nextSequence = 0
      }
      const { producerId, producerEpoch } = identity
      batch.encoded = batch.builder.build({ producerId, producerEpoch, baseSequence: queue.nextSequence }, compression)
      batch.identityGeneration = this.identityGeneration
      queue.nextSequence = nextSequence(queue.nextSequence, batch.count)
      return true
    } catch (error) {
      this.failed(queue, batch, error)
      return false
    }
  }

  private leaderOf(queue: PartitionQueue) {
    const known = this.metadata.current(queue.topic)
    const leader = known?.leaders[queue.partition]
    if (leader !== undefined) return leader
    return new UnknownPartitionError({ topic: queue.topic, partition: queue.partition, partitionCount: known?.leaders.length ?? 0 })
  }

  private produce(queue: PartitionQueue, batch: ProducerBatch): Promise<ProduceResult> {
    const leader = this.leaderOf(queue)
    if (leader instanceof Error) return Promise.reject(leader)
    const { acks, requestTimeoutMs } = this.options
    return leader.ask((replyTo) => ({ _tag: 'Produce', batch: batch.encoded!, acks, replyTo }), { timeoutMs: requestTimeoutMs })
  }

  /** Another try: asks the broker where the partition is first (its leader may have moved). */
  private async retry(queue: PartitionQueue, batch: ProducerBatch): Promise<ProduceResult> {
    this.counters.retries++
    try {
      await this.metadata.load(queue.topic)
    } catch (error) {
      if ((error as { readonly _tag?: unknown })._tag === 'UnknownTopicError') throw error
    }
    return this.produce(queue, batch)
  }

  private produced(queue: PartitionQueue, batch: ProducerBatch, result: ProduceResult): void {
    queue.inFlight = undefined
    // The next batch goes out before anyone hears of this one: the pipe stays full.
    this.trySend(queue)
    this.deliver(batch, result.baseOffset)
  }

  private deliver(batch: ProducerBatch, baseOffset: bigint): void {
    const { topic, partition, sinks, indexes, timestamps } = batch
    const count = batch.count
    this.counters.recordsSent += count
    if (baseOffset >= 0n && baseOffset + BigInt(count) <= MAX_SAFE) {
      const base = Number(baseOffset)
      for (let i = 0; i < count; i++) sinks[i].delivered(indexes[i], topic, partition, BigInt(base + i), timestamps[i])
    } else {
      for (let i = 0; i < count; i++) {
        sinks[i].delivered(indexes[i], topic, partition, baseOffset < 0n ? -1n : baseOffset + BigInt(i), timestamps[i])
      }
    }
    batch.finish()
  }

  private failed(queue: PartitionQueue, batch: ProducerBatch, cause: unknown): void {
    const error = unwrapActorFailure(cause)
    if (queue.inFlight === batch) queue.inFlight = undefined
    // Whether the partition kept the batch is unknown: start the sequences over under a new id.
    if (this.options.idempotent && batch.identityGeneration === this.identityGeneration) this.identity = undefined
    this.counters.failedRecords += batch.count
    for (let i = 0; i < batch.count; i++) batch.sinks[i].failed(batch.indexes[i], error, batch.partition)
    batch.finish()
    this.trySend(queue)
  }

  private requestIdentity(): void {
    if (this.identityRequest !== undefined) return
    const ask = () => {
      this.counters.producerIdRequests++
      return this.connection.broker.ask((replyTo) => ({ _tag: 'InitProducerId', replyTo }), {
        timeoutMs: this.options.requestTimeoutMs,
      })
    }
    this.identityRequest = ask()
      .catch((error: unknown) => retryAfter(unwrapActorFailure(error), ask, this.options))
      .then(
        (identity) => {
          this.identity = identity
          this.identityGeneration++
          this.identityRequest = undefined
          this.releaseAwaiting((queue) => this.trySend(queue))
        },
        (error: unknown) => {
          this.identityRequest = undefined
          this.releaseAwaiting((queue) => {
            for (const batch of queue.ready.splice(0)) this.failed(queue, batch, error)
          })
        },
      )
  }

  private releaseAwaiting(each: (queue: PartitionQueue) => void): void {
    const queues = Array.from(this.awaitingIdentity)
    this.awaitingIdentity.clear()
    for (const queue of queues) each(queue)
  }
}
