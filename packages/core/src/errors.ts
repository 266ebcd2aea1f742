/** The errors a Rivulet user can meet from the broker and clients, each carrying its facts. */
import { Data } from 'effect'

export class UnknownTopicError extends Data.TaggedError('UnknownTopicError')<{ readonly topic: string }> {
  override get message(): string {
    return `unknown topic "${this.topic}"`
  }
}

export class UnknownPartitionError extends Data.TaggedError('UnknownPartitionError')<{
  readonly topic: string
  readonly partition: number
  readonly partitionCount: number
}> {
  override get message(): string {
    return `topic "${this.topic}" has no partition ${this.partition} (it has ${this.partitionCount})`
  }
}

export class TopicExistsError extends Data.TaggedError('TopicExistsError')<{ readonly topic: string }> {
  override get message(): string {
    return `topic "${this.topic}" already exists`
  }
}

/** A partition count that is not a positive integer, or a decrease (partitions are never removed). */
export class InvalidPartitionCountError extends Data.TaggedError('InvalidPartitionCountError')<{
  readonly topic: string
  readonly partitions: unknown
  readonly reason: string
}> {
  override get message(): string {
    return `invalid partition count ${JSON.stringify(this.partitions)} for topic "${this.topic}": ${this.reason}`
  }
}

/** A batch whose sequence does not follow the last one the partition has from this producer. */
export class OutOfOrderSequenceError extends Data.TaggedError('OutOfOrderSequenceError')<{
  readonly topic: string
  readonly partition: number
  readonly producerId: bigint
  readonly expectedSequence: number
  readonly receivedSequence: number
}> {
  override get message(): string {
    return `out-of-order sequence from producer ${this.producerId} on ${this.topic}-${this.partition}: expected ${this.expectedSequence}, received ${this.receivedSequence}`
  }
}

/** A producer whose epoch is older than the partition's: another instance took its id over. */
export class ProducerFencedError extends Data.TaggedError('ProducerFencedError')<{
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly currentEpoch: number
  /** The partition that refused the batch, when a partition did. */
  readonly topic?: string
  readonly partition?: number
}> {
  override get message(): string {
    const where = this.topic === undefined ? '' : ` on ${this.topic}-${this.partition}`
    return `producer ${this.producerId} with epoch ${this.producerEpoch} is fenced by epoch ${this.currentEpoch}${where}`
  }
}

/** Any call on a client or broker after close(). */
export class ClosedError extends Data.TaggedError('ClosedError')<{ readonly what: string }> {
  override get message(): string {
    return `${this.what} is closed`
  }
}

/** Opened with createIfMissing false: the directory is missing or holds no Rivulet data. */
export class NoDataDirError extends Data.TaggedError('NoDataDirError')<{ readonly dataDir: string }> {
  override get message(): string {
    return `no Rivulet data directory at ${this.dataDir}`
  }
}

/** Something that is not a directory (a file) is where the data directory should be. */
export class DataDirNotADirectoryError extends Data.TaggedError('DataDirNotADirectoryError')<{ readonly dataDir: string }> {
  override get message(): string {
    return `no Rivulet data directory at ${this.dataDir}: it is a file, not a directory`
  }
}
