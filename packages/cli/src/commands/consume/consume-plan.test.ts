import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EndTracker, startOf } from './consume-plan.js'

const bounds = { partition: 2, logStartOffset: 5n, logEndOffset: 12n }

describe('startOf', () => {
  it('starts at either end, at an offset, or N before the end, never below the log start', () => {
    expect(startOf('earliest', bounds)).toEqual({ partition: 2, offset: 5n, end: 12n, pastEnd: false })
    expect(startOf('latest', bounds)).toEqual({ partition: 2, offset: 12n, end: 12n, pastEnd: false })
    expect(startOf({ offset: 7n }, bounds).offset).toBe(7n)
    expect(startOf({ offset: 1n }, bounds).offset).toBe(5n)
    expect(startOf({ fromEnd: 3n }, bounds).offset).toBe(9n)
    expect(startOf({ fromEnd: 100n }, bounds).offset).toBe(5n)
  })

  it('marks an offset past the end, which the consumer then waits for', () => {
    expect(startOf({ offset: 50n }, bounds)).toMatchObject({ offset: 50n, pastEnd: true })
    expect(startOf({ offset: 12n }, bounds).pastEnd).toBe(false)
  })
})

describe('EndTracker', () => {
  it('counts a partition that starts at its end as there, and one with records once its last is read', () => {
    const tracker = new EndTracker()
    expect(tracker.add(0, 3n, 3n)).toBe(true)
    expect(tracker.add(1, 0n, 2n)).toBe(false)
    expect(tracker.allReached).toBe(false)
    expect(tracker.advance(1, 1n)).toBe(false)
    expect(tracker.advance(1, 2n)).toBe(true)
    expect(tracker.advance(1, 3n)).toBe(false)
    expect(tracker.allReached).toBe(true)
  })

  it('is all there only once every partition has read up to its end, in any order of records', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 4 }), fc.nat(), (ends, seed) => {
        const tracker = new EndTracker()
        ends.forEach((end, partition) => tracker.add(partition, 0n, BigInt(end)))
        // Interleave the partitions' records in an order drawn from the seed.
        const queue = ends.flatMap((end, partition) => Array.from({ length: end }, (_, offset) => ({ partition, offset })))
        const order = queue.map((item, i) => ({ item, rank: (i * 7919 + seed) % (queue.length + 1) })).sort((a, b) => a.rank - b.rank)
        const next = ends.map(() => 0)
        const sent = ends.map(() => 0)
        for (const { item } of order) {
          // Records of one partition come in offset order.
          const offset = sent[item.partition]!++
          expect(tracker.allReached).toBe(false)
          next[item.partition] = offset + 1
          tracker.advance(item.partition, BigInt(offset + 1))
        }
        expect(tracker.allReached).toBe(true)
      }),
    )
  })
})
