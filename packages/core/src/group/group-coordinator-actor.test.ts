import { afterEach, describe, expect, it, vi } from 'vitest'
import { settled } from '../partition/test-support/partition-client.js'
import { rangeAssignor } from './assignors/range.js'
import { roundRobinAssignor } from './assignors/round-robin.js'
import {
  InconsistentAssignorError,
  InvalidAssignmentError,
  InvalidOffsetError,
  NotOwnedPartitionError,
  StaleGenerationError,
  UnknownGroupError,
  UnknownMemberError,
  UnknownTopicForCommitError,
} from './group-errors.js'
import { startGroupCluster } from '../broker/test-support/group-cluster.js'
import { committedText, converge, describeOf, offsets, specs, TestMember } from './test-support/test-member.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * The coordinator takes time from Date.now() and its deadlines from setTimeout: with both faked,
 * the clock moves only when the test moves it (the actor runtime and file I/O keep running on
 * setImmediate, microtasks and libuv).
 */
const useVirtualClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })

/** A group of one member owning all of a 4-partition `orders`. */
const oneMember = async () => {
  const cluster = startGroupCluster(cleanups)
  await cluster.createTopic('orders', 4)
  const coordinator = await cluster.coordinator('billing')
  const a = new TestMember(coordinator)
  await a.join(['orders'])
  return { cluster, coordinator, a }
}

describe('GroupCoordinatorActor: membership', () => {
  it('joins, splits the partitions once members heartbeat, and gives all to the one left after a leave', async () => {
    const { coordinator, a } = await oneMember()
    expect(specs(a.assignment)).toBe('orders-0 orders-1 orders-2 orders-3')
    const b = new TestMember(coordinator)
    expect((await b.join(['orders'])).assignment).toEqual([])
    await converge(coordinator, [a, b])
    const described = await describeOf(coordinator)
    expect(described.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort())
    expect(a.assignment).toHaveLength(2)
    expect(b.assignment).toHaveLength(2)
    expect(specs([...a.assignment, ...b.assignment].sort((x, y) => x.partition - y.partition))).toBe('orders-0 orders-1 orders-2 orders-3')
    await b.leave()
    await converge(coordinator, [a])
    expect(a.assignment).toHaveLength(4)
    expect(await settled(b.heartbeat())).toBeInstanceOf(UnknownMemberError)
    expect(await settled(b.leave())).toBeInstanceOf(UnknownMemberError)
  })

  it('answers a long-poll heartbeat as soon as a rebalance gives the member something to do', async () => {
    useVirtualClock()
    const { coordinator, a } = await oneMember()
    const started = Date.now()
    let answered = false
    const waiting = a.heartbeat(3_000).then((reply) => {
      answered = true
      return reply
    })
    // The coordinator has handled a later request: the heartbeat is parked, unanswered.
    await describeOf(coordinator)
    expect(answered).toBe(false)
    const b = new TestMember(coordinator)
    await b.join(['orders'])
    const reply = await waiting
    expect(reply.assignment).toHaveLength(2)
    // b waits for what a gives up, and hears as soon as a reports it has.
    const bWaits = b.heartbeat(3_000)
    await a.heartbeat()
    expect((await bWaits).assignment).toHaveLength(2)
    // The clock never moved: no waitMs ran out, the news answered both.
    expect(Date.now()).toBe(started)
    expect((await describeOf(coordinator)).phase).toBe('Stable')
  })

  it('answers a long-poll heartbeat with the plain reply when nothing happens within waitMs', async () => {
    useVirtualClock()
    const { coordinator, a } = await oneMember()
    const before = { generation: a.generation, assignment: specs(a.assignment) }
    let answered = false
    const waiting = a.heartbeat(60).then((reply) => {
      answered = true
      return reply
    })
    await describeOf(coordinator)
    await vi.advanceTimersByTimeAsync(59)
    await describeOf(coordinator)
    expect(answered).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    const reply = await waiting
    expect({ generation: reply.generation, assignment: specs(reply.assignment) }).toEqual(before)
  })

  it('answers a heartbeat still waiting when the same member sends another', async () => {
    const { a } = await oneMember()
    const first = a.heartbeat(3_000)
    const second = a.heartbeat(40)
    expect(specs((await first).assignment)).toBe('orders-0 orders-1 orders-2 orders-3')
    expect((await second).generation).toBe(a.generation)
  })

  it('removes a silent member once its session times out, and the others take its partitions', async () => {
    useVirtualClock()
    const { coordinator, a } = await oneMember()
    const silent = new TestMember(coordinator)
    await silent.join(['orders'], { sessionTimeoutMs: 200 })
    await converge(coordinator, [a, silent])
    expect(a.assignment).toHaveLength(2)
    let answered = false
    const waiting = a.heartbeat(3_000).then((reply) => {
      answered = true
      return reply
    })
    await vi.advanceTimersByTimeAsync(150)
    const during = await describeOf(coordinator)
    expect(answered).toBe(false)
    expect(during.members.map((m) => m.memberId).sort()).toEqual([a.memberId, silent.memberId].sort())
    // Past the 200 ms session, well before a's 3 s wait: the removal is what answers a.
    await vi.advanceTimersByTimeAsync(100)
    const reply = await waiting
    expect(reply.assignment).toHaveLength(4)
    expect((await describeOf(coordinator)).members.map((m) => m.memberId)).toEqual([a.memberId])
    expect(await settled(silent.heartbeat())).toBeInstanceOf(UnknownMemberError)
  })

  it('fails the parked heartbeat of a member that leaves or is fenced', async () => {
    const { coordinator, a } = await oneMember()
    const waiting = settled(a.heartbeat(3_000))
    await a.leave()
    expect(await waiting).toBeInstanceOf(UnknownMemberError)
    const b = new TestMember(coordinator)
    await b.join(['orders'])
    const parked = settled(b.heartbeat(3_000))
    const stale = await settled(coordinator.ask((replyTo) => ({ _tag: 'Heartbeat', memberId: b.memberId, generation: b.generation + 7, owned: [], waitMs: 0, replyTo })))
    expect(stale).toBeInstanceOf(StaleGenerationError)
    expect(await parked).toBeInstanceOf(UnknownMemberError)
  })

  it('lets the first member of an empty group choose the assignor, and refuses another while it has members', async () => {
    const cluster = startGroupCluster(cleanups)
    await cluster.createTopic('orders', 2)
    const coordinator = await cluster.coordinator('analytics')
    const join = (assignor: typeof rangeAssignor) =>
      coordinator.ask((replyTo) => ({ _tag: 'JoinGroup', subscribedTopics: ['orders'], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000, assignor, replyTo }))
    const first = await join(roundRobinAssignor)
    expect((await describeOf(coordinator)).assignor).toBe('round-robin')
    const refused = await settled(join(rangeAssignor))
    expect(refused).toBeInstanceOf(InconsistentAssignorError)
    expect(refused).toMatchObject({ requested: 'range', current: 'round-robin' })
    await coordinator.ask((replyTo) => ({ _tag: 'LeaveGroup', memberId: first.memberId, replyTo }))
    const broken = { name: 'broken', assign: () => { throw new Error('no idea') } }
    expect(await settled(join(broken))).toBeInstanceOf(InvalidAssignmentError)
    // The failed join left the group's assignor as it was.
    const plain = await coordinator.ask((replyTo) => ({ _tag: 'JoinGroup', subscribedTopics: ['orders'], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000, replyTo }))
    expect((await describeOf(coordinator)).assignor).toBe('round-robin')
    await coordinator.ask((replyTo) => ({ _tag: 'LeaveGroup', memberId: plain.memberId, replyTo }))
    expect((await join(rangeAssignor)).assignment).toHaveLength(2)
    expect((await describeOf(coordinator)).assignor).toBe('range')
  })
})

describe('GroupCoordinatorActor: bad requests are typed errors', () => {
  it('refuses a stale generation, a partition not owned, and a negative offset', async () => {
    const { coordinator, a } = await oneMember()
    const zombie = { memberId: a.memberId, generation: a.generation }
    const b = new TestMember(coordinator)
    await b.join(['orders'])
    await converge(coordinator, [a, b])
    expect(a.generation).toBeGreaterThan(zombie.generation)
    const stale = await settled(coordinator.ask((replyTo) => ({ _tag: 'CommitOffsets', member: zombie, offsets: offsets(['orders', 0, 5n]), replyTo })))
    expect(stale).toBeInstanceOf(StaleGenerationError)
    expect(stale).toMatchObject({ givenGeneration: zombie.generation, currentGeneration: a.generation })

    const mine = a.assignment[0]!
    const theirs = b.assignment[0]!
    const reply = await a.commit([mine.topic, mine.partition, 7n], [theirs.topic, theirs.partition, 7n], [mine.topic, a.assignment[1]!.partition, -1n])
    expect(reply.results[0]!.error).toBeUndefined()
    expect(reply.results[1]!.error).toBeInstanceOf(NotOwnedPartitionError)
    expect(reply.results[2]!.error).toBeInstanceOf(InvalidOffsetError)
    expect(await committedText(coordinator)).toEqual([`orders-${mine.partition}=7`])
  })

  it('refuses commits for a topic once it is deleted, and drops its offsets', async () => {
    const cluster = startGroupCluster(cleanups)
    await cluster.createTopic('audit', 1)
    const coordinator = await cluster.coordinator('tools')
    const commit = (offset: bigint) => coordinator.ask((replyTo) => ({ _tag: 'CommitOffsets', offsets: offsets(['audit', 0, offset]), replyTo }))
    expect((await commit(5n)).results[0]!.error).toBeUndefined()
    await cluster.broker.ask((replyTo) => ({ _tag: 'DeleteTopic', name: 'audit', replyTo }))
    const refused = (await commit(6n)).results[0]!.error
    expect(refused).toBeInstanceOf(UnknownTopicForCommitError)
    expect(refused).toMatchObject({ topic: 'audit', partitionCount: undefined })
    expect(await committedText(coordinator)).toEqual([])
    // Created again, the topic starts without the old offsets, also after a restart.
    await cluster.createTopic('audit', 1)
    const restarted = await cluster.restart()
    expect(await committedText(await restarted.coordinator('tools'))).toEqual([])
  })

  it('answers DescribeGroup and DeleteGroup of a group with no members and no offsets with UnknownGroupError', async () => {
    const cluster = startGroupCluster(cleanups)
    const coordinator = await cluster.coordinator('nobody')
    expect(await settled(describeOf(coordinator))).toEqual(new UnknownGroupError({ groupId: 'nobody' }))
    expect(await settled(coordinator.ask((replyTo) => ({ _tag: 'DeleteGroup', replyTo })))).toEqual(new UnknownGroupError({ groupId: 'nobody' }))
    expect((await coordinator.ask((replyTo) => ({ _tag: 'FetchOffsets', replyTo }))).offsets).toEqual([])
  })
})
