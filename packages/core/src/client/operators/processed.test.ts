import { defer, EMPTY, map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { isAcknowledgingSubscription } from '../acknowledgement.js'
import { ConsumedRecord } from '../consumed-record.js'
import { NotAConsumerRecordError } from '../errors.js'
import { processed } from './processed.js'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

/** Records of partition 0 whose acknowledgements land in `acks` as [sequence, offset]. */
const recordsAcknowledgedInto = (acks: [number, bigint][]) => {
  const target = { acknowledge: (sequence: number, offset: bigint) => acks.push([sequence, offset]), requestCommit: () => false }
  return (sequence: number) => new ConsumedRecord('t', 0, BigInt(100 + sequence), null, Buffer.from(`v${sequence}`), [], 0, target, sequence)
}

describe('processed()', () => {
  it('passes records through and acknowledges each as it passes', () => {
    const acks: [number, bigint][] = []
    const record = recordsAcknowledgedInto(acks)
    const values = { a: record(0), b: record(1) }
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-|', values)
      expectObservable(source.pipe(processed())).toBe('-a-b-|', values)
      expectSubscriptions(source.subscriptions).toBe('^----!')
    })
    expect(acks).toEqual([
      [0, 100n],
      [1, 101n],
    ])
  })

  it('acknowledges the records a selector names: one, several, or none', () => {
    const acks: [number, bigint][] = []
    const record = recordsAcknowledgedInto(acks)
    const values = { a: { done: [record(0), record(1)] }, b: { done: null }, c: { done: record(2) } }
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|', values).pipe(processed((item) => item.done))).toBe('abc|', values)
    })
    expect(acks.map(([sequence]) => sequence)).toEqual([0, 1, 2])
  })

  it('errors on a value that is not a record, and passes errors and unsubscription on', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold('-x', { x: { some: 'thing' } }).pipe(processed())).toBe('-#', undefined, new NotAConsumerRecordError({ value: { some: 'thing' } }))
      expectObservable(cold('--#').pipe(processed())).toBe('--#')
      const source = cold('-----a|')
      expectObservable(source.pipe(processed()), '^--!').toBe('---')
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })

  it('errors when the selector throws', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const select = () => {
        throw new Error('bad select')
      }
      expectObservable(cold('a').pipe(processed(select))).toBe('#', undefined, new Error('bad select'))
    })
  })

  it('tells the sources it subscribes that they are in an acknowledging pipeline', () => {
    const seen: boolean[] = []
    const source = defer(() => {
      seen.push(isAcknowledgingSubscription())
      return EMPTY
    })
    source.pipe(map((x) => x), processed()).subscribe()
    source.subscribe()
    expect(seen).toEqual([true, false])
  })
})

describe('ConsumedRecord', () => {
  it('keeps its link to the consumer out of sight', () => {
    const acks: [number, bigint][] = []
    const record = recordsAcknowledgedInto(acks)(3)
    expect(Object.keys(record)).toEqual(['topic', 'partition', 'offset', 'key', 'value', 'headers', 'timestamp'])
    expect(ConsumedRecord.acknowledge({ ...record })).toBe(false)
    expect(ConsumedRecord.acknowledge(record)).toBe(true)
    expect(acks).toEqual([[3, 103n]])
  })
})
