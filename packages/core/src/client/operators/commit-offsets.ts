/**
 * commitOffsets(): placed after the processing of a group consumer's records, it acknowledges
 * each record that passes (as processed() does) and has the consumer commit the acknowledged
 * positions: at once when no commit is under way, else right after the one under way (records
 * acknowledged meanwhile all go in that one). So a commit is at most one coordinator round trip
 * behind the processing, whatever autoCommit says, and only processed records are committed.
 *
 *   rv.consumer({ groupId: 'billing' }).subscribe(orders).pipe(concatMap(handle), commitOffsets())
 *   // when the processing yields something else:
 *   .pipe(concatMap((record) => store(record)), commitOffsets((stored) => stored.record))
 *
 * A commit that fails (other than by the member being fenced, after which it rejoins and the
 * uncommitted records come again) errors the consumer's Observable with the coordinator's typed
 * error. Errors with NotAConsumerRecordError for a value that is not a record, and with
 * CommitWithoutGroupError for a record of a consumer without a groupId.
 */
import type { MonoTypeOperatorFunction } from 'rxjs'
import { ConsumedRecord } from '../consumed-record.js'
import { CommitWithoutGroupError, NotAConsumerRecordError } from '../errors.js'
import { acknowledging, type Selected } from './acknowledging.js'

const mark = (record: unknown): Error | undefined => {
  switch (ConsumedRecord.commit(record)) {
    case 'committing':
      return undefined
    case 'not-a-record':
      return new NotAConsumerRecordError({ value: record, operator: 'commitOffsets' })
    case 'no-group': {
      const { topic, partition } = record as ConsumedRecord<unknown, unknown>
      return new CommitWithoutGroupError({ topic, partition })
    }
  }
}

export const commitOffsets = <T>(select?: (value: T) => Selected): MonoTypeOperatorFunction<T> => acknowledging(mark, select)
