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
 * In a consumer group, commitOffsets() does the same and also commits.
 */
import type { MonoTypeOperatorFunction } from 'rxjs'
import { acknowledge } from '../acknowledgement.js'
import { NotAConsumerRecordError } from '../errors.js'
import { acknowledging, type Selected } from './acknowledging.js'

const mark = (record: unknown): Error | undefined => (acknowledge(record) ? undefined : new NotAConsumerRecordError({ value: record }))

export const processed = <T>(select?: (value: T) => Selected): MonoTypeOperatorFunction<T> => acknowledging(mark, select)
