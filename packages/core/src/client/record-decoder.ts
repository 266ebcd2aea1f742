/**
 * Turns the record under a RecordCursor into a key and a value with its topic's serdes, and
 * applies the consumer's onDecodeError policy to one that does not decode: fail the
 * subscription, skip it with a log line, or send it as fetched to a dead-letter topic.
 * Untyped topics skip the serdes: their keys and values are the cursor's views.
 */
import type { RecordCursor } from '@rivulet/storage'
import type { SerdeContext } from '../serde/serde.js'
import { RecordDecodeError } from './errors.js'
import type { ConsumerOptions } from './options.js'
import type { RecordHeader } from './records.js'
import { isRaw, type Topic } from './topic.js'

/** A record that failed to decode, as fetched. */
export interface RawRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: readonly RecordHeader[]
  readonly timestamp: number
}

/** Where a record that did not decode goes. */
export interface DecodeFailureSink {
  fail(error: unknown): void
  deadLetter(record: RawRecord, error: unknown): Promise<void>
}

export class RecordDecoder {
  /** Filled by a successful decode(). */
  key: unknown = null
  value: unknown = null
  /** After a failed decode() under a dead-letter policy: the send to wait for before going on. */
  deadLetterSent: Promise<void> | undefined = undefined
  private readonly keyContext: SerdeContext
  private readonly valueContext: SerdeContext
  private readonly rawKey: boolean
  private readonly rawValue: boolean

  constructor(
    private readonly handle: Topic<unknown, unknown>,
    private readonly partition: number,
    private readonly options: Pick<ConsumerOptions, 'onDecodeError' | 'logger'>,
    private readonly sink: DecodeFailureSink,
  ) {
    this.keyContext = { topic: handle.name, target: 'key' }
    this.valueContext = { topic: handle.name, target: 'value' }
    this.rawKey = isRaw(handle.key)
    this.rawValue = isRaw(handle.value)
  }

  /** True with `key` and `value` set; false when the record did not decode (the policy applied). */
  decode(cursor: RecordCursor, offset: bigint): boolean {
    try {
      this.key = this.rawKey ? cursor.key : this.handle.key.deserialize(cursor.key, this.keyContext)
      this.value = this.rawValue ? cursor.value : this.handle.value.deserialize(cursor.value, this.valueContext)
      return true
    } catch (error) {
      this.failed(cursor, offset, error)
      return false
    }
  }

  private failed(cursor: RecordCursor, offset: bigint, error: unknown): void {
    const topic = this.handle.name
    const partition = this.partition
    const policy = this.options.onDecodeError
    const failure = new RecordDecodeError({ topic, partition, offset, cause: error })
    if (policy === 'fail') return this.sink.fail(failure)
    if (policy === 'skip') return this.options.logger.warn(`skipped: ${failure.message}`, { topic, partition, offset })
    const raw: RawRecord = { topic, partition, offset, key: cursor.key, value: cursor.value, headers: cursor.headers, timestamp: cursor.timestamp }
    this.deadLetterSent = this.sink.deadLetter(raw, error)
  }
}
