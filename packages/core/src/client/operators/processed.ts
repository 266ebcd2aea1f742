/**
 * processed(): placed after the processing of consumed records, it tells their consumer that
 * they are done, which is what lets the consumer bound how far it fetches ahead (see
 * acknowledgement.ts). Values pass through unchanged. A value that is a ConsumerRecord is
 * acknowledged as it is; for anything else, `select` says which record(s) it stands for (none:
 * undefined or null). Acknowledging a record acknowledges every earlier one of its partition, so
 * records a pipeline filters out are covered by the next one that gets through.
 *
 *   consumer.subscribe('orders').pipe(
 *     concatMap((record) => from(handle(record)).pipe(map(() => record))),
 *     processed(),
 *   )
 *   // or, when the processing yields something else:
 *   .pipe(concatMap((record) => store(record)), processed((stored) => stored.record))
 *
 * Errors with NotAConsumerRecordError when there is no select and a value is not a record.
 */
import { type MonoTypeOperatorFunction, Observable } from 'rxjs'
import { acknowledge, subscribeAcknowledging } from '../acknowledgement.js'
import { NotAConsumerRecordError } from '../errors.js'
import type { ConsumerRecord } from '../records.js'

type Selected = ConsumerRecord<unknown, unknown> | readonly ConsumerRecord<unknown, unknown>[] | null | undefined

export const processed =
  <T>(select?: (value: T) => Selected): MonoTypeOperatorFunction<T> =>
  (source) =>
    new Observable<T>((subscriber) =>
      subscribeAcknowledging(source, {
        next(value) {
          let chosen: unknown = value
          if (select !== undefined) {
            try {
              chosen = select(value)
            } catch (error) {
              subscriber.error(error)
              return
            }
          }
          if (Array.isArray(chosen)) {
            for (const record of chosen) if (!acknowledge(record)) return subscriber.error(new NotAConsumerRecordError({ value: record }))
          } else if (chosen !== null && chosen !== undefined && !acknowledge(chosen)) {
            return subscriber.error(new NotAConsumerRecordError({ value: chosen }))
          } else if (select === undefined && (chosen === null || chosen === undefined)) {
            return subscriber.error(new NotAConsumerRecordError({ value: chosen }))
          }
          subscriber.next(value)
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    )
