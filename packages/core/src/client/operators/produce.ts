/**
 * produce(producer, topic): sends every record of the source through the producer and emits each
 * record's metadata once its partition has acknowledged it. Metadata of one partition comes in
 * the order its records came (one batch per partition is in flight, and a batch's records are in
 * order); records of different partitions may be acknowledged in any order between them. No
 * promise per record: the producer tells this operator's sink directly.
 *
 *   orders$.pipe(produce(producer, orders)).subscribe((meta) => console.log(meta.offset))
 *
 * Completes when the source has completed and every record sent has been acknowledged; errors
 * with the first record the producer refuses or fails to deliver. Unsubscribing stops the
 * emissions; records already handed over are still sent.
 */
import { Observable, type OperatorFunction } from 'rxjs'
import type { RecordSink } from '../accumulator.js'
import { enqueueRecord, type Producer } from '../producer.js'
import type { ProducerRecord, RecordMetadata } from '../records.js'
import type { KeyIn, TopicLike, ValueIn } from '../topic.js'

export const produce =
  <T extends TopicLike>(producer: Producer, topic: T): OperatorFunction<ProducerRecord<KeyIn<T>, ValueIn<T>>, RecordMetadata> =>
  (source) =>
    new Observable<RecordMetadata>((subscriber) => {
      let unacknowledged = 0
      let sourceDone = false
      let index = 0
      const sink: RecordSink = {
        delivered(_index, topicName, partition, offset, timestamp) {
          unacknowledged--
          subscriber.next({ topic: topicName, partition, offset, timestamp })
          if (sourceDone && unacknowledged === 0) subscriber.complete()
        },
        failed(_index, error) {
          unacknowledged--
          subscriber.error(error)
        },
      }
      return source.subscribe({
        next(record) {
          // Counted first: with acks 0 a full batch can be acknowledged inside enqueue.
          unacknowledged++
          try {
            enqueueRecord(producer, topic, record as ProducerRecord<unknown, unknown>, sink, index++)
          } catch (error) {
            unacknowledged--
            subscriber.error(error)
          }
        },
        error(error) {
          subscriber.error(error)
        },
        complete() {
          sourceDone = true
          if (unacknowledged === 0) subscriber.complete()
        },
      })
    })
