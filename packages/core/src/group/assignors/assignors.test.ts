// Properties every built-in assignor must have (the Assignor contract, determinism, balance),
// and the assignments Kafka's documentation gives for range and round-robin.
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { subscribedPartitions, validateAssignment, type AssignmentInput, type Assignor } from '../assignor.js'
import { assignorInput, countOf, normalized, parseTps, reordered } from '../test-support/assignor-inputs.js'
import { cooperativeStickyAssignor } from './cooperative-sticky.js'
import { rangeAssignor } from './range.js'
import { roundRobinAssignor } from './round-robin.js'

const assignors: Assignor[] = [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor]

describe.each(assignors)('$name assignor', (assignor) => {
  test.prop([assignorInput({ randomOwned: true })], { numRuns: 200 })(
    'assigns every subscribed partition exactly once, to a subscriber, and every member gets an entry',
    (input) => {
      const assignment = assignor.assign(input)
      expect(validateAssignment(assignor.name, input, assignment)).toBeUndefined()
      expect([...assignment.keys()].sort()).toEqual(input.members.map((m) => m.memberId).sort())
      const total = [...assignment.values()].reduce((sum, tps) => sum + tps.length, 0)
      expect(total).toBe(subscribedPartitions(input).length)
    },
  )

  test.prop([assignorInput({ randomOwned: true }), fc.nat()], { numRuns: 150 })('does not depend on the order of its input', (input, seed) => {
    expect(normalized(assignor.assign(reordered(input, seed)))).toEqual(normalized(assignor.assign(input)))
  })
})

describe.each([roundRobinAssignor, cooperativeStickyAssignor])('$name with equal subscriptions', (assignor) => {
  test.prop([assignorInput({ equalSubscriptions: true, randomOwned: true })], { numRuns: 200 })(
    'gives members counts that differ by at most one',
    (input) => {
      const counts = input.members.map((m) => countOf(assignor.assign(input), m.memberId))
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    },
  )
})

describe('range assignor', () => {
  test.prop([assignorInput({ equalSubscriptions: true })], { numRuns: 200 })(
    'gives each topic contiguous ranges, larger ones first, in Kafka member order',
    (input) => {
      const assignment = rangeAssignor.assign(input)
      // Kafka's order: static members by instance id first, then the rest by member id.
      const ordered = [...input.members].sort((a, b) => {
        if (a.groupInstanceId !== undefined && b.groupInstanceId !== undefined) return a.groupInstanceId < b.groupInstanceId ? -1 : 1
        if (a.groupInstanceId !== undefined || b.groupInstanceId !== undefined) return a.groupInstanceId !== undefined ? -1 : 1
        return a.memberId < b.memberId ? -1 : 1
      })
      for (const [topic, count] of input.partitionsPerTopic) {
        if (!input.members[0]!.subscribedTopics.includes(topic)) continue
        const ranges = ordered.map((m) => assignment.get(m.memberId)!.filter((p) => p.topic === topic).map((p) => p.partition))
        expect(ranges.flat()).toEqual(Array.from({ length: count }, (_, i) => i))
        const sizes = ranges.map((r) => r.length)
        expect([...sizes].sort((a, b) => b - a)).toEqual(sizes)
        expect(sizes[0]! - sizes[sizes.length - 1]!).toBeLessThanOrEqual(1)
      }
    },
  )

  it("matches Kafka's example: two members, two topics of three partitions", () => {
    const input: AssignmentInput = {
      members: ['C0', 'C1'].map((memberId) => ({ memberId, subscribedTopics: ['t0', 't1'], owned: [] })),
      partitionsPerTopic: new Map([['t0', 3], ['t1', 3]]),
    }
    expect(normalized(rangeAssignor.assign(input))).toEqual([
      ['C0', parseTps('t0p0 t0p1 t1p0 t1p1')],
      ['C1', parseTps('t0p2 t1p2')],
    ])
  })
})

describe('round-robin assignor', () => {
  it("matches Kafka's example: two members, two topics of three partitions", () => {
    const input: AssignmentInput = {
      members: ['C1', 'C0'].map((memberId) => ({ memberId, subscribedTopics: ['t0', 't1'], owned: [] })),
      partitionsPerTopic: new Map([['t0', 3], ['t1', 3]]),
    }
    expect(normalized(roundRobinAssignor.assign(input))).toEqual([
      ['C0', parseTps('t0p0 t0p2 t1p1')],
      ['C1', parseTps('t0p1 t1p0 t1p2')],
    ])
  })

  it("matches Kafka's example with unequal subscriptions", () => {
    const input: AssignmentInput = {
      members: [
        { memberId: 'C0', subscribedTopics: ['t0'], owned: [] },
        { memberId: 'C1', subscribedTopics: ['t0', 't1'], owned: [] },
        { memberId: 'C2', subscribedTopics: ['t0', 't1', 't2'], owned: [] },
      ],
      partitionsPerTopic: new Map([['t0', 1], ['t1', 2], ['t2', 3]]),
    }
    expect(normalized(roundRobinAssignor.assign(input))).toEqual([
      ['C0', parseTps('t0p0')],
      ['C1', parseTps('t1p0')],
      ['C2', parseTps('t1p1 t2p0 t2p1 t2p2')],
    ])
  })
})

describe('validateAssignment', () => {
  const input: AssignmentInput = {
    members: [
      { memberId: 'a', subscribedTopics: ['t0'], owned: [] },
      { memberId: 'b', subscribedTopics: ['t0', 't1'], owned: [] },
    ],
    partitionsPerTopic: new Map([['t0', 2], ['t1', 1]]),
  }
  const reasonFor = (entries: Array<[string, string]>) =>
    validateAssignment('custom', input, new Map(entries.map(([id, spec]) => [id, parseTps(spec)])))?.reason

  it('accepts a valid assignment and names what is wrong with each kind of invalid one', () => {
    expect(reasonFor([['a', 't0p0'], ['b', 't0p1 t1p0']])).toBeUndefined()
    expect(reasonFor([['a', 't0p0 t0p1'], ['b', 't0p1 t1p0']])).toBe('t0-1 went to both "a" and "b"')
    expect(reasonFor([['a', 't0p0 t1p0'], ['b', 't0p1']])).toBe('t1-0 went to "a", which does not subscribe to "t1"')
    expect(reasonFor([['a', 't0p0 t0p2'], ['b', 't0p1 t1p0']])).toBe('t0-2 does not exist')
    expect(reasonFor([['a', 't0p0'], ['b', 't1p0']])).toBe('t0-1 went to nobody')
    expect(reasonFor([['a', 't0p0'], ['b', 't0p1 t1p0'], ['z', '']])).toBe('it names "z", which is not a member')
  })
})
