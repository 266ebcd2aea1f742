/**
 * The body processed() and commitOffsets() share: pass each value on after marking the consumer
 * record(s) it stands for (the value itself, or what `select` names: one, several, or none).
 * The source is subscribed through subscribeAcknowledging, so the consumer knows it will hear
 * about finished records. A mark that fails errors the stream.
 */
import { type MonoTypeOperatorFunction, Observable } from 'rxjs'
import { subscribeAcknowledging } from '../acknowledgement.js'
import type { ConsumerRecord } from '../records.js'

export type Selected = ConsumerRecord<unknown, unknown> | readonly ConsumerRecord<unknown, unknown>[] | null | undefined

/** Marks one record; returns the error to fail with when it cannot. */
export type Mark = (record: unknown) => Error | undefined

export const acknowledging =
  <T>(mark: Mark, select?: (value: T) => Selected): MonoTypeOperatorFunction<T> =>
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
          let failure: Error | undefined
          if (Array.isArray(chosen)) {
            for (const record of chosen) if ((failure = mark(record)) !== undefined) break
          } else if (chosen !== null && chosen !== undefined) {
            failure = mark(chosen)
          } else if (select === undefined) {
            failure = mark(chosen)
          }
          if (failure !== undefined) subscriber.error(failure)
          else subscriber.next(value)
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    )
