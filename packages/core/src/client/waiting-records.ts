/**
 * Records sent to a topic whose partitions are not known yet (the first send to it, or a send to
 * a partition the producer has not heard of), held until the broker answers. They are kept as
 * the caller gave them, in parallel arrays, and serialized when they are appended: a first burst
 * of a million records then holds no million serialized keys and values for the collector to
 * promote. They have been serialized once already, when sent, so a refusal was reported then.
 */
import type { RecordSink } from './accumulator.js'
import type { ProducerRecord } from './records.js'

export class WaitingRecords<Topic> {
  readonly topics: Topic[] = []
  readonly records: ProducerRecord<unknown, unknown>[] = []
  readonly sinks: RecordSink[] = []
  readonly indexes: number[] = []
  /** The time of each send, for records that have no timestamp of their own. */
  readonly sentAt: number[] = []

  get count(): number {
    return this.records.length
  }

  add(topic: Topic, record: ProducerRecord<unknown, unknown>, sink: RecordSink, index: number, sentAt: number): void {
    this.topics.push(topic)
    this.records.push(record)
    this.sinks.push(sink)
    this.indexes.push(index)
    this.sentAt.push(sentAt)
  }
}
