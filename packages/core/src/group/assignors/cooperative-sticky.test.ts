// Cooperative-sticky against Kafka's expectations: balanced, and moving as few partitions as
// possible (a leaver's partitions only; about N/(m+1) to a joiner; nothing when nothing changed).
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { AssignmentInput, AssignorMember } from '../assignor.js'
import { assignorInput, countOf, isBalanced, normalized, ownerMap, parseTps, withOwned } from '../test-support/assignor-inputs.js'
import { keySet, topicPartitionKey } from '../topic-partition.js'
import { cooperativeStickyAssignor as sticky } from './cooperative-sticky.js'

/** The input after one round: every member owns what the assignor gave it. */
const settled = (input: AssignmentInput): AssignmentInput => ({ ...input, members: withOwned(input.members, sticky.assign(input)) })

describe('cooperative-sticky assignor', () => {
  test.prop([assignorInput({ randomOwned: true })], { numRuns: 200 })('is balanced in Kafka\'s sense, whatever the subscriptions', (input) => {
    expect(isBalanced(input, sticky.assign(input))).toBe(true)
  })

  test.prop([assignorInput({ randomOwned: true })], { numRuns: 150 })('moves nothing when nothing changed', (input) => {
    const next = settled(input)
    expect(normalized(sticky.assign(next))).toEqual(normalized(new Map(next.members.map((m) => [m.memberId, m.owned]))))
  })

  test.prop([assignorInput({ equalSubscriptions: true, minMembers: 2 }), fc.nat()], { numRuns: 200 })(
    'when a member leaves, only its partitions move',
    (input, pick) => {
      const before = settled(input)
      const leaver = before.members[pick % before.members.length]!
      const after = sticky.assign({ ...before, members: before.members.filter((m) => m !== leaver) })
      for (const member of before.members) {
        if (member === leaver) continue
        const now = keySet(after.get(member.memberId)!)
        for (const tp of member.owned) expect(now.has(topicPartitionKey(tp))).toBe(true)
      }
    },
  )

  test.prop([assignorInput({ equalSubscriptions: true })], { numRuns: 200 })(
    'when a member joins, it takes floor or ceil of N/(m+1) and nothing else moves',
    (input) => {
      const before = settled(input)
      const joiner: AssignorMember = { memberId: 'member-new', subscribedTopics: before.members[0]!.subscribedTopics, owned: [] }
      const after = sticky.assign({ ...before, members: [...before.members, joiner] })
      const total = before.members.reduce((sum, m) => sum + m.owned.length, 0)
      const share = total / (before.members.length + 1)
      expect(countOf(after, joiner.memberId)).toBeGreaterThanOrEqual(Math.floor(share))
      expect(countOf(after, joiner.memberId)).toBeLessThanOrEqual(Math.ceil(share))
      for (const member of before.members) {
        const kept = keySet(member.owned)
        for (const tp of after.get(member.memberId)!) expect(kept.has(topicPartitionKey(tp))).toBe(true)
      }
    },
  )

  test.prop([assignorInput({ equalSubscriptions: true, randomOwned: true })], { numRuns: 200 })(
    'from any starting point, each member keeps at least min(what it validly owned, floor(N/m))',
    (input) => {
      const assignment = sticky.assign(input)
      const owners = ownerMap(assignment)
      const total = owners.size
      const claimed = new Set<string>()
      for (const member of [...input.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
        // What it validly owned: existing, subscribed, and not claimed by a member before it.
        const valid = member.owned.filter((tp) => {
          const key = topicPartitionKey(tp)
          const ok = (input.partitionsPerTopic.get(tp.topic) ?? 0) > tp.partition && member.subscribedTopics.includes(tp.topic) && !claimed.has(key)
          if (ok) claimed.add(key)
          return ok
        })
        const kept = new Set(valid.map(topicPartitionKey)).size
        const stillOwned = valid.filter((tp) => owners.get(topicPartitionKey(tp)) === member.memberId).length
        expect(stillOwned).toBeGreaterThanOrEqual(Math.min(kept, Math.floor(total / input.members.length)))
      }
    },
  )

  it("matches Kafka's example: three members, four topics of two partitions, then C1 leaves", () => {
    const members = ['C0', 'C1', 'C2'].map((memberId) => ({ memberId, subscribedTopics: ['t0', 't1', 't2', 't3'], owned: [] }))
    const input: AssignmentInput = { members, partitionsPerTopic: new Map(['t0', 't1', 't2', 't3'].map((t) => [t, 2])) }
    const first = sticky.assign(input)
    expect(normalized(first)).toEqual([
      ['C0', parseTps('t0p0 t1p1 t3p0')],
      ['C1', parseTps('t0p1 t2p0 t3p1')],
      ['C2', parseTps('t1p0 t2p1')],
    ])
    const second = sticky.assign({ ...input, members: withOwned(members, first).filter((m) => m.memberId !== 'C1') })
    expect(normalized(second)).toEqual([
      ['C0', parseTps('t0p0 t1p1 t2p0 t3p0')],
      ['C2', parseTps('t0p1 t1p0 t2p1 t3p1')],
    ])
  })

  it("matches Kafka's example with unequal subscriptions, then C0 leaves", () => {
    const members: AssignorMember[] = [
      { memberId: 'C0', subscribedTopics: ['t0'], owned: [] },
      { memberId: 'C1', subscribedTopics: ['t0', 't1'], owned: [] },
      { memberId: 'C2', subscribedTopics: ['t0', 't1', 't2'], owned: [] },
    ]
    const input: AssignmentInput = { members, partitionsPerTopic: new Map([['t0', 1], ['t1', 2], ['t2', 3]]) }
    const first = sticky.assign(input)
    expect(normalized(first)).toEqual([
      ['C0', parseTps('t0p0')],
      ['C1', parseTps('t1p0 t1p1')],
      ['C2', parseTps('t2p0 t2p1 t2p2')],
    ])
    const second = sticky.assign({ ...input, members: withOwned(members, first).slice(1) })
    expect(normalized(second)).toEqual([
      ['C1', parseTps('t0p0 t1p0 t1p1')],
      ['C2', parseTps('t2p0 t2p1 t2p2')],
    ])
  })

  it('moves a partition it has just handed out before one a member owned', () => {
    // z-0 goes to m1 while balancing is still to come; once x-0 leaves m2 for m0, m1 must give
    // one partition to m2: z-0, not the z-2 it owned.
    const members: AssignorMember[] = [
      { memberId: 'm0', subscribedTopics: ['x'], owned: [] },
      { memberId: 'm1', subscribedTopics: ['x', 'y', 'z'], owned: parseTps('zp2') },
      { memberId: 'm2', subscribedTopics: ['x', 'y', 'z'], owned: parseTps('xp0 zp1') },
    ]
    const assignment = sticky.assign({ members, partitionsPerTopic: new Map([['x', 1], ['y', 1], ['z', 3]]) })
    expect(normalized(assignment)).toEqual([
      ['m0', parseTps('xp0')],
      ['m1', parseTps('yp0 zp2')],
      ['m2', parseTps('zp0 zp1')],
    ])
  })

  it('drops owned partitions of deleted topics, of unsubscribed topics and claimed twice', () => {
    const members: AssignorMember[] = [
      { memberId: 'a', subscribedTopics: ['t0'], owned: parseTps('t0p0 t0p1 gone0p0 t1p0') },
      { memberId: 'b', subscribedTopics: ['t0', 't1'], owned: parseTps('t0p1 t0p9') },
    ]
    const assignment = sticky.assign({ members, partitionsPerTopic: new Map([['t0', 2], ['t1', 1]]) })
    expect(normalized(assignment)).toEqual([
      ['a', parseTps('t0p0 t0p1')],
      ['b', parseTps('t1p0')],
    ])
  })
})
