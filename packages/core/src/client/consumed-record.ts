/**
 * The record a consumer delivers: the public ConsumerRecord fields, plus a private link back to
 * the partition feed that fetched it, through which processed() (and, for groups, the commit
 * operator) tells the consumer the record is done. The link is a private field: it neither shows
 * in logs nor survives a spread, and nothing but a consumer can make one.
 */
import type { ConsumerRecord, RecordHeader } from './records.js'

/** What an acknowledgement reaches: the feed of the record's partition. */
export interface AcknowledgementTarget {
  /** Everything the feed delivered up to delivery number `sequence` is done. */
  acknowledge(sequence: number, offset: bigint): void
  /** Asks the consumer's group to commit what is acknowledged soon; false when it has no group. */
  requestCommit(): boolean
}

export class ConsumedRecord<K, V> implements ConsumerRecord<K, V> {
  readonly #target: AcknowledgementTarget
  readonly #sequence: number

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    readonly key: K | null,
    readonly value: V | null,
    readonly headers: readonly RecordHeader[],
    readonly timestamp: number,
    target: AcknowledgementTarget,
    sequence: number,
  ) {
    this.#target = target
    this.#sequence = sequence
  }

  /** Acknowledges `value` when it is a record a consumer delivered; false when it is not one. */
  static acknowledge(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(#target in value)) return false
    const record = value as ConsumedRecord<unknown, unknown>
    record.#target.acknowledge(record.#sequence, record.offset)
    return true
  }

  /**
   * Acknowledges `value` and has its consumer group commit soon: 'not-a-record' when it is not a
   * delivered record, 'no-group' when its consumer has no group (it is acknowledged all the same).
   */
  static commit(value: unknown): 'committing' | 'not-a-record' | 'no-group' {
    if (!ConsumedRecord.acknowledge(value)) return 'not-a-record'
    return (value as ConsumedRecord<unknown, unknown>).#target.requestCommit() ? 'committing' : 'no-group'
  }
}
