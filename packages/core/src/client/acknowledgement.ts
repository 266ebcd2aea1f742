/**
 * The consumer's demand signal. RxJS has none, so a consumer cannot tell how far behind the
 * subscriber's processing is from the records it has emitted: concatMap with slow work buffers
 * whatever arrives. Instead, the pipeline says when records are done: an acknowledging operator
 * (processed(), and for consumer groups the commit operator) placed after the processing calls
 * `acknowledge(record)`, and each subscription pauses its fetches while the bytes it emitted but
 * nobody acknowledged exceed maxBufferedBytes.
 *
 * A consumer learns that its records will be acknowledged when it is subscribed to inside an
 * acknowledging pipeline: such an operator subscribes to its source through
 * `subscribeAcknowledging`, and RxJS subscribes the operators of a pipe synchronously, upstream
 * from downstream, so the consumer's Observable sees the flag while it is being subscribed.
 * Without it, records count as taken when emitted, until the first acknowledgement arrives.
 */
import type { Observable, Observer, Subscription } from 'rxjs'
import { ConsumedRecord } from './consumed-record.js'

let acknowledgingDepth = 0

/** Subscribes `source` so that the consumers it reaches wait for acknowledgements. */
export const subscribeAcknowledging = <T>(source: Observable<T>, observer: Partial<Observer<T>>): Subscription => {
  acknowledgingDepth++
  try {
    return source.subscribe(observer)
  } finally {
    acknowledgingDepth--
  }
}

/** Whether the subscription being made now is inside an acknowledging pipeline. */
export const isAcknowledgingSubscription = (): boolean => acknowledgingDepth > 0

/**
 * Marks `record`, and every record delivered before it from its partition, as done. Returns false
 * (and does nothing) when `record` is not one a consumer delivered.
 */
export const acknowledge = (record: unknown): boolean => ConsumedRecord.acknowledge(record)
