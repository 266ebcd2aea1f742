import { defer, EMPTY, map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { isAcknowledgingSubscription } from '../acknowledgement.js'
import { ConsumedRecord } from '../consumed-record.js'
import { CommitWithoutGroupError, NotAConsumerRecordError } from '../errors.js'
import { commitOffsets } from './commit-offsets.js'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

/** Records of partition 0 whose acknowledgements and commit requests land in `calls`. */
const recordsInto = (calls: string[], inGroup = true) => {
  const target = {
    acknowledge: (sequence: number) => void calls.push(`ack ${sequence}`),
    requestCommit: () => {
      calls.push('commit')
      return inGroup
    },
  }
  return (sequence: number) => new ConsumedRecord('t', 0, BigInt(sequence), null, Buffer.from(`v${sequence}`), [], 0, target, sequence)
}

describe('commitOffsets()', () => {
  it('passes records through, acknowledging each and asking its group for a commit', () => {
    const calls: string[] = []
    const record = recordsInto(calls)
    const values = { a: record(0), b: record(1) }
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b-|', values)
      expectObservable(source.pipe(commitOffsets())).toBe('-a--b-|', values)
      expectSubscriptions(source.subscriptions).toBe('^-----!')
    })
    expect(calls).toEqual(['ack 0', 'commit', 'ack 1', 'commit'])
  })

  it('commits the records a selector names; errors on a value that is no record, or a record without a group', () => {
    const calls: string[] = []
    const record = recordsInto(calls)
    const values = { a: { done: [record(0), record(1)] }, b: { done: null } }
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|', values).pipe(commitOffsets((item) => item.done))).toBe('ab|', values)
      expectObservable(cold('-x', { x: 'text' }).pipe(commitOffsets())).toBe('-#', undefined, new NotAConsumerRecordError({ value: 'text', operator: 'commitOffsets' }))
      const loner = recordsInto([], false)(5)
      expectObservable(cold('-x', { x: loner }).pipe(commitOffsets())).toBe('-#', undefined, new CommitWithoutGroupError({ topic: 't', partition: 0 }))
    })
    expect(calls).toEqual(['ack 0', 'commit', 'ack 1', 'commit'])
  })

  it('passes errors and unsubscription on', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold('--#').pipe(commitOffsets())).toBe('--#')
      const source = cold('-----a|')
      expectObservable(source.pipe(commitOffsets()), '^--!').toBe('---')
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })

  it('tells the consumer it is in an acknowledging pipeline', () => {
    const seen: boolean[] = []
    defer(() => {
      seen.push(isAcknowledgingSubscription())
      return EMPTY
    })
      .pipe(map((x) => x), commitOffsets())
      .subscribe()
    expect(seen).toEqual([true])
  })

  it('names commitOffsets in its error message', () => {
    expect(new NotAConsumerRecordError({ value: 1, operator: 'commitOffsets' }).message).toMatch(/^commitOffsets\(\) got 1, .* pass commitOffsets\(value => value.record\)/)
  })
})
