/** Errors the producer, consumer and admin clients raise themselves, each carrying its facts. */
import { Data } from 'effect'
import { describeCause } from '../actor/errors.js'

/** A client option that does not decode; `option` names it, `value` is what was given. */
export class InvalidClientOptionError extends Data.TaggedError('InvalidClientOptionError')<{
  readonly client: 'producer' | 'consumer' | 'admin'
  readonly option: string
  readonly value: unknown
  readonly reason: string
}> {
  override get message(): string {
    return `invalid ${this.client} option ${this.option}=${show(this.value)}: ${this.reason}`
  }
}

/**
 * An argument of a client call that is not what the call takes: `argument` names it (a path such
 * as `options.replicationFactor`), `allowed` says what is.
 */
export class InvalidArgumentError extends Data.TaggedError('InvalidArgumentError')<{
  /** The call, as `createTopic` or `seek`. */
  readonly call: string
  readonly argument: string
  readonly value: unknown
  readonly allowed: string
}> {
  override get message(): string {
    return `invalid argument ${this.argument}=${show(this.value)} to ${this.call}(): expected ${this.allowed}`
  }
}

/** A record send() or produce() refused before sending anything: not a record, a bad timestamp... */
export class InvalidProducerRecordError extends Data.TaggedError('InvalidProducerRecordError')<{
  readonly topic: string
  /** Its place in the call's array (0 for a single record, the count so far in produce()). */
  readonly index: number
  readonly reason: string
}> {
  override get message(): string {
    return `cannot send record ${this.index} to topic "${this.topic}": ${this.reason}`
  }
}

/** What became of one record of a send() call: written at `offset`, or not written, with `error`. */
export type SendRecordResult =
  | { readonly index: number; readonly written: true; readonly partition: number; readonly offset: bigint }
  | {
      readonly index: number
      readonly written: false
      /** The partition it was meant for; undefined when it failed before one was chosen. */
      readonly partition: number | undefined
      readonly error: unknown
    }

/**
 * A send() of several records of which some were written and some not (a partition's disk was
 * full, say): `results` says, per record in call order, which offset it got or why it failed.
 * Retry only the records not written, or the written ones are there twice.
 */
export class PartialSendError extends Data.TaggedError('PartialSendError')<{
  readonly topic: string
  readonly results: readonly SendRecordResult[]
}> {
  get written(): number {
    return this.results.filter((result) => result.written).length
  }
  override get message(): string {
    const failed = this.results.filter((result) => !result.written)
    const first = failed[0] as Extract<SendRecordResult, { readonly written: false }> | undefined
    return (
      `send() to topic "${this.topic}": ${this.written} of ${this.results.length} records were written, ` +
      `${failed.length} were not (record ${first?.index}: ${first === undefined ? '' : describeCause(first.error)}); see results`
    )
  }
}

/** A fetched record whose key or value its topic's serde could not read (onDecodeError 'fail'). */
export class RecordDecodeError extends Data.TaggedError('RecordDecodeError')<{
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly cause: unknown
}> {
  override get message(): string {
    return `cannot decode record ${this.offset} of ${this.topic}-${this.partition}: ${describeCause(this.cause)}`
  }
}

/** A fetch position the partition no longer (or not yet) holds, with autoOffsetReset 'error'. */
export class PartitionOffsetOutOfRangeError extends Data.TaggedError('PartitionOffsetOutOfRangeError')<{
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly logStartOffset: bigint
  readonly logEndOffset: bigint
}> {
  override get message(): string {
    return `offset ${this.offset} of ${this.topic}-${this.partition} is out of range [${this.logStartOffset}, ${this.logEndOffset}] and autoOffsetReset is 'error'`
  }
}

/** A partition that one subscription of this consumer already reads, or that none reads (seek). */
export class PartitionAssignmentError extends Data.TaggedError('PartitionAssignmentError')<{
  readonly topic: string
  readonly partition: number
  readonly reason: 'already-consumed' | 'not-consumed'
}> {
  override get message(): string {
    return this.reason === 'already-consumed'
      ? `${this.topic}-${this.partition} is already consumed by another subscription of this consumer`
      : `${this.topic}-${this.partition} is not consumed by any subscription of this consumer`
  }
}

/** A value reaching processed() (or commitOffsets()) that is not a record a consumer delivered, nor mapped to one. */
export class NotAConsumerRecordError extends Data.TaggedError('NotAConsumerRecordError')<{
  readonly value: unknown
  /** Default 'processed'. */
  readonly operator?: 'processed' | 'commitOffsets'
}> {
  override get message(): string {
    const operator = this.operator ?? 'processed'
    return `${operator}() got ${show(this.value)}, which is not a ConsumerRecord; pass ${operator}(value => value.record) to say which record it stands for`
  }
}

/** commitOffsets() got a record from a consumer without a groupId: there is nowhere to commit. */
export class CommitWithoutGroupError extends Data.TaggedError('CommitWithoutGroupError')<{
  readonly topic: string
  readonly partition: number
}> {
  override get message(): string {
    return `commitOffsets() got a record of ${this.topic}-${this.partition} from a consumer without a groupId; use processed(), or give the consumer a groupId`
  }
}

/** A group consumer subscribed while its previous subscription is still live (one member per consumer). */
export class AlreadySubscribedError extends Data.TaggedError('AlreadySubscribedError')<{
  readonly groupId: string
}> {
  override get message(): string {
    return `this consumer of group "${this.groupId}" is already subscribed; unsubscribe first, or make another consumer`
  }
}

/** A partition assigned to a group member without a committed offset, with autoOffsetReset 'error'. */
export class NoCommittedOffsetError extends Data.TaggedError('NoCommittedOffsetError')<{
  readonly groupId: string
  readonly topic: string
  readonly partition: number
}> {
  override get message(): string {
    return `group "${this.groupId}" has no committed offset for ${this.topic}-${this.partition} and autoOffsetReset is 'error'`
  }
}

const show = (value: unknown): string => {
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`
  if (typeof value === 'bigint') return `${value}n`
  if (value === undefined) return 'undefined'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

/** A custom partitioner's answer that is not a partition of the topic; the record is not sent. */
export class InvalidPartitionChoiceError extends Data.TaggedError('InvalidPartitionChoiceError')<{
  readonly topic: string
  readonly chosen: unknown
  readonly partitionCount: number
}> {
  override get message(): string {
    return `the partitioner chose partition ${show(this.chosen)} of topic "${this.topic}", which has partitions 0 to ${this.partitionCount - 1}`
  }
}
