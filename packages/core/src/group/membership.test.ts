// Join, heartbeat, leave, timeouts, static membership and topic changes, driven by hand through
// the pure transitions with virtual time.
import { describe, expect, it } from 'vitest'
import type { Assignor } from './assignor.js'
import { rangeAssignor } from './assignors/range.js'
import { InvalidAssignmentError, InvalidGroupRequestError, StaleGenerationError, UnknownGroupError, UnknownMemberError } from './group-errors.js'
import { nextDeadlineMs } from './group-state.js'
import { Driver, group, specs } from './test-support/group-driver.js'

const ALL_ORDERS = 'ordersp0 ordersp1 ordersp2 ordersp3'

describe('group membership', () => {
  it('hands partitions over incrementally when a member joins: revoke first, then assign', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    expect(a).toMatchObject({ memberId: 'consumer-i1-1', generation: 1 })
    expect(specs(a.assignment)).toBe(ALL_ORDERS)
    expect(d.state.phase).toBe('Stable')

    const b = d.join(['orders'])
    expect(b).toMatchObject({ memberId: 'consumer-i1-2', generation: 2, assignment: [] })
    expect(d.state.phase).toBe('Reconciling')
    expect(d.effects('PromptHeartbeat')).toEqual([{ _tag: 'PromptHeartbeat', memberIds: [a.memberId] }])

    // Told to give up orders-2 and -3, a keeps the rest and stays at generation 1 until it has.
    const told = d.beat(a.memberId, 1, ALL_ORDERS)
    expect(told).toMatchObject({ generation: 1 })
    expect(specs(told.assignment)).toBe('ordersp0 ordersp1')
    expect(specs(d.beat(b.memberId, 2, '').assignment)).toBe('')

    const done = d.beat(a.memberId, 1, 'ordersp0 ordersp1')
    expect(done.generation).toBe(2)
    expect(d.effects('PromptHeartbeat')).toEqual([{ _tag: 'PromptHeartbeat', memberIds: [b.memberId] }])
    expect(specs(d.beat(b.memberId, 2, '').assignment)).toBe('ordersp2 ordersp3')
    expect(d.state.phase).toBe('Stable')
  })

  it('gives a leaver\'s partitions to the others at once, in a new generation', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    const b = d.join(['orders'])
    d.converge()
    d.ok({ _tag: 'LeaveGroup', memberId: b.memberId })
    expect(d.state.generation).toBe(3)
    expect(d.effects('MembersRemoved')).toEqual([{ _tag: 'MembersRemoved', removals: [{ memberId: b.memberId, groupInstanceId: undefined, reason: 'left' }] }])
    expect(d.effects('PromptHeartbeat')).toEqual([{ _tag: 'PromptHeartbeat', memberIds: [a.memberId] }])
    expect(specs(d.beatAsTold(a.memberId).assignment)).toBe(ALL_ORDERS)
    expect(d.state.phase).toBe('Stable')
  })

  it('removes a member not heard from within its session timeout', () => {
    const d = new Driver(group())
    const a = d.join(['orders'], { sessionTimeoutMs: 100 })
    const b = d.join(['orders'], { sessionTimeoutMs: 300 })
    d.converge()
    d.nowMs = 99
    d.ok({ _tag: 'Tick' })
    expect(d.state.members.has(a.memberId)).toBe(true)
    expect(nextDeadlineMs(d.state)).toBe(100)
    d.nowMs = 100
    d.ok({ _tag: 'Tick' })
    expect(d.effects('MembersRemoved')).toEqual([{ _tag: 'MembersRemoved', removals: [{ memberId: a.memberId, groupInstanceId: undefined, reason: 'session-timeout' }] }])
    expect(d.fail({ _tag: 'Heartbeat', memberId: a.memberId, generation: 2, owned: [] })).toBeInstanceOf(UnknownMemberError)
    expect(specs(d.beatAsTold(b.memberId).assignment)).toBe(ALL_ORDERS)
    expect(nextDeadlineMs(d.state)).toBe(400)
  })

  it('removes a member that does not give partitions up within its rebalance timeout', () => {
    const d = new Driver(group())
    const a = d.join(['orders'], { rebalanceTimeoutMs: 50 })
    const b = d.join(['orders'])
    d.nowMs = 10
    d.beat(a.memberId, 1, ALL_ORDERS)
    d.nowMs = 40
    d.beat(a.memberId, 1, ALL_ORDERS) // still holding orders-2 and -3
    expect(nextDeadlineMs(d.state)).toBe(60)
    d.nowMs = 60
    d.ok({ _tag: 'Tick' })
    expect(d.effects('MembersRemoved')).toEqual([{ _tag: 'MembersRemoved', removals: [{ memberId: a.memberId, groupInstanceId: undefined, reason: 'rebalance-timeout' }] }])
    expect(specs(d.beatAsTold(b.memberId).assignment)).toBe(ALL_ORDERS)
  })

  it('fences and removes a member whose heartbeat carries another generation', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    const b = d.join(['orders'])
    d.converge()
    const error = d.fail({ _tag: 'Heartbeat', memberId: a.memberId, generation: 1, owned: [] })
    expect(error).toEqual(new StaleGenerationError({ groupId: 'billing', memberId: a.memberId, givenGeneration: 1, currentGeneration: 2 }))
    expect((error as Error).message).toBe(`member "${a.memberId}" of group "billing" sent generation 1, but it is at generation 2`)
    expect(d.state.members.has(a.memberId)).toBe(false)
    expect(specs(d.beatAsTold(b.memberId).assignment)).toBe(ALL_ORDERS)
  })

  it('lets a static member restart within its session and get its partitions back without moving any', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    const s = d.join(['orders'], { groupInstanceId: 'pod-1', sessionTimeoutMs: 100 })
    d.converge()
    const before = specs(d.views.get(s.memberId)!.assignment)
    d.ok({ _tag: 'LeaveGroup', memberId: s.memberId })
    expect(d.state).toMatchObject({ generation: 2, phase: 'Stable' })
    expect(d.state.members.get(s.memberId)!.away).toBe(true)

    d.nowMs = 90
    const back = d.join(['orders'], { groupInstanceId: 'pod-1', sessionTimeoutMs: 100 })
    expect(back.memberId).not.toBe(s.memberId)
    expect(back.generation).toBe(3)
    expect(specs(back.assignment)).toBe(before)
    expect(d.effects('MembersRemoved')).toEqual([{ _tag: 'MembersRemoved', removals: [{ memberId: s.memberId, groupInstanceId: 'pod-1', reason: 'replaced' }] }])
    const other = d.beatAsTold(a.memberId)
    expect(specs(other.assignment)).toBe(specs(d.views.get(a.memberId)!.assignment))
    expect(other.generation).toBe(3)
    expect(d.state.phase).toBe('Stable')
    // The previous incarnation is fenced.
    expect(d.fail({ _tag: 'Heartbeat', memberId: s.memberId, generation: 2, owned: [] })).toBeInstanceOf(UnknownMemberError)
  })

  it('rebalances once an away static member\'s session ends', () => {
    const d = new Driver(group())
    const a = d.join(['orders'], { sessionTimeoutMs: 1000 })
    const s = d.join(['orders'], { groupInstanceId: 'pod-1', sessionTimeoutMs: 100 })
    d.converge()
    d.nowMs = 20
    d.ok({ _tag: 'LeaveGroup', memberId: s.memberId })
    d.nowMs = 119
    d.beatAsTold(a.memberId)
    expect(d.state.members.has(s.memberId)).toBe(true)
    d.nowMs = 120
    d.ok({ _tag: 'Tick' })
    expect(d.state.members.has(s.memberId)).toBe(false)
    expect(specs(d.beatAsTold(a.memberId).assignment)).toBe(ALL_ORDERS)
  })

  it('assigns new partitions and new subscriptions in a new generation', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    d.ok({ _tag: 'TopicsChanged', partitionsPerTopic: new Map([['orders', 6], ['payments', 2]]) })
    expect(d.state.generation).toBe(2)
    expect(d.effects('PromptHeartbeat')).toEqual([{ _tag: 'PromptHeartbeat', memberIds: [a.memberId] }])
    expect(specs(d.beatAsTold(a.memberId).assignment)).toBe(`${ALL_ORDERS} ordersp4 ordersp5`)
    const moved = d.ok({ _tag: 'Heartbeat', memberId: a.memberId, generation: 2, owned: d.views.get(a.memberId)!.assignment, subscribedTopics: ['payments'] })
    expect(moved.generation).toBe(2) // it must give up every orders partition first
    expect(specs(d.beatAsTold(a.memberId).assignment)).toBe('paymentsp0 paymentsp1')
    expect(d.state).toMatchObject({ generation: 3, phase: 'Stable' })
  })

  it('refuses joins with bad settings, naming the field', () => {
    const d = new Driver(group())
    const join = { _tag: 'JoinGroup', subscribedTopics: ['orders'], sessionTimeoutMs: 100, rebalanceTimeoutMs: 50 } as const
    expect(d.fail({ ...join, sessionTimeoutMs: 5 })).toMatchObject({ _tag: 'InvalidGroupRequestError', field: 'sessionTimeoutMs', value: 5 })
    expect(d.fail({ ...join, rebalanceTimeoutMs: 0 })).toMatchObject({ field: 'rebalanceTimeoutMs' })
    expect(d.fail({ ...join, subscribedTopics: 'orders' as unknown as string[] })).toBeInstanceOf(InvalidGroupRequestError)
    expect(d.state.members.size).toBe(0)
  })

  it('answers every request to a deleted group with UnknownGroupError', () => {
    const d = new Driver(group())
    d.ok({ _tag: 'DeleteGroup' })
    expect(d.state.phase).toBe('Dead')
    const error = d.fail({ _tag: 'JoinGroup', subscribedTopics: ['orders'], sessionTimeoutMs: 100, rebalanceTimeoutMs: 50 })
    expect(error).toEqual(new UnknownGroupError({ groupId: 'billing' }))
    expect(d.fail({ _tag: 'Heartbeat', memberId: 'x', generation: 1, owned: [] })).toBeInstanceOf(UnknownGroupError)
    expect(d.fail({ _tag: 'LeaveGroup', memberId: 'x' })).toBeInstanceOf(UnknownGroupError)
    expect(d.fail({ _tag: 'FetchOffsets' })).toBeInstanceOf(UnknownGroupError)
    expect(d.fail({ _tag: 'DeleteGroup' })).toBeInstanceOf(UnknownGroupError)
  })

  it('uses a plugged-in assignor, and refuses the change when one breaks the contract', () => {
    const firstTakesAll: Assignor = {
      name: 'first-takes-all',
      assign: ({ members, partitionsPerTopic }) => {
        const ids = members.map((m) => m.memberId).sort()
        return new Map(ids.map((id, i) => [id, i > 0 ? [] : [...partitionsPerTopic].flatMap(([topic, n]) => Array.from({ length: n }, (_, partition) => ({ topic, partition })))]))
      },
    }
    const d = new Driver(group({ assignor: firstTakesAll }))
    const a = d.join(['orders'])
    d.join(['orders'])
    d.converge()
    expect(specs(d.views.get(a.memberId)!.assignment)).toBe(ALL_ORDERS)

    const broken: Assignor = { name: 'broken', assign: ({ members }) => new Map(members.map((m) => [m.memberId, [{ topic: 'orders', partition: 0 }]])) }
    const e = new Driver(group({ assignor: broken }))
    const before = e.state
    expect(e.fail({ _tag: 'JoinGroup', subscribedTopics: ['orders'], sessionTimeoutMs: 100, rebalanceTimeoutMs: 50 })).toEqual(
      new InvalidAssignmentError({ assignor: 'broken', reason: 'orders-1 went to nobody' }),
    )
    expect(e.state).toBe(before)
  })

  it('lays partitions out with range when the group uses it', () => {
    const d = new Driver(group({ assignor: rangeAssignor }))
    const a = d.join(['orders', 'payments'])
    const b = d.join(['orders', 'payments'])
    d.converge()
    expect(specs(d.views.get(a.memberId)!.assignment)).toBe('ordersp0 ordersp1 paymentsp0')
    expect(specs(d.views.get(b.memberId)!.assignment)).toBe('ordersp2 ordersp3 paymentsp1')
  })
})
