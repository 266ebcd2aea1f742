import { afterEach, describe, expect, it } from 'vitest'
import type { ActorRef, ReplyTo } from '../actor/actor-ref.js'
import { Supervision } from '../actor/supervision.js'
import { quietSystem } from '../actor/test-support/fixtures.js'
import { partitionActor, type PartitionCommand } from '../partition/partition-actor.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { settled } from '../partition/test-support/partition-client.js'
import { tempDir } from '../partition/test-support/records.js'
import { groupCoordinatorActor, topicsChanged, type GroupCommand } from './group-coordinator-actor.js'
import { OffsetPersistenceError, UnknownTopicForCommitError } from './group-errors.js'
import type { GroupMessage } from './group-protocol.js'
import { OFFSETS_TOPIC, offsetsTopicConfig } from './offsets-topic.js'
import { committedText, describeOf, offsets, TestMember } from './test-support/test-member.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A coordinator spawned by hand over one real offsets partition whose appends can be made to fail. */
const setup = () => {
  const { dir, remove } = tempDir('coordinator')
  const { system } = quietSystem()
  cleanups.push(async () => {
    await system.shutdown()
    remove()
  })
  const config = offsetsTopicConfig(1 << 20)
  const real = system.spawn<PartitionCommand>(
    'c1.0.partition.offsets',
    partitionActor({ topic: OFFSETS_TOPIC, partition: 0, dataDir: dir, config, retentionCheckIntervalMs: 60_000 }),
  )
  const faults = { failAppends: false }
  const offsetsPartition: ActorRef<PartitionMessage> = {
    path: real.path,
    tell: (message) => real.tell(message),
    ask: ((make: (replyTo: ReplyTo<unknown>) => PartitionMessage, options) => {
      if (!faults.failAppends) return real.ask(make as never, options)
      return new Promise((resolve, reject) => {
        const message = make({ reply: resolve, fail: reject })
        if (message._tag === 'Produce') reject(new Error('disk full'))
        else real.tell(message)
      })
    }) as ActorRef<PartitionMessage>['ask'],
  }
  let spawned = 0
  const start = (topics: ReadonlyMap<string, number>): ActorRef<GroupCommand> =>
    system.spawn<GroupCommand>(
      `c1.0.group.billing${++spawned}`,
      groupCoordinatorActor({
        groupId: 'billing',
        offsetsPartition,
        topics: async () => ({ version: 1, partitionsPerTopic: topics }),
        minSessionTimeoutMs: 10,
      }),
      { supervision: Supervision.restart() },
    )
  return { system, faults, start }
}

const ORDERS = new Map([['orders', 2]])
const simpleCommit = (coordinator: ActorRef<GroupMessage>, offset: bigint) =>
  coordinator.ask((replyTo) => ({ _tag: 'CommitOffsets', offsets: offsets(['orders', 0, offset]), replyTo }))

describe('GroupCoordinatorActor: offsets take effect only once durable', () => {
  it('fails a commit, a reset and a deletion whose append fails, and keeps the offsets it had', async () => {
    const { faults, start } = setup()
    const coordinator = start(ORDERS)
    await simpleCommit(coordinator, 5n)
    faults.failAppends = true
    const failed = await settled(simpleCommit(coordinator, 9n))
    expect(failed).toBeInstanceOf(OffsetPersistenceError)
    expect(failed).toMatchObject({ groupId: 'billing', operation: 'commit' })
    expect((failed as Error).message).toContain('disk full')
    const reset = await settled(coordinator.ask((replyTo) => ({ _tag: 'ResetOffsets', offsets: offsets(['orders', 0, 0n]), replyTo })))
    expect(reset).toMatchObject({ _tag: 'OffsetPersistenceError', operation: 'reset offsets' })
    const deleted = await settled(coordinator.ask((replyTo) => ({ _tag: 'DeleteGroup', replyTo })))
    expect(deleted).toMatchObject({ _tag: 'OffsetPersistenceError', operation: 'delete group' })
    expect(await committedText(coordinator)).toEqual(['orders-0=5'])
    expect((await describeOf(coordinator)).phase).toBe('Empty')
    faults.failAppends = false
    await simpleCommit(coordinator, 9n)
    expect(await committedText(coordinator)).toEqual(['orders-0=9'])
  })

  it('keeps a member whose commit could not be made durable: it can commit again', async () => {
    const { faults, start } = setup()
    const coordinator = start(ORDERS)
    const member = new TestMember(coordinator)
    await member.join(['orders'])
    faults.failAppends = true
    expect(await settled(member.commit(['orders', 1, 3n]))).toBeInstanceOf(OffsetPersistenceError)
    faults.failAppends = false
    expect((await member.commit(['orders', 1, 3n])).results[0]!.error).toBeUndefined()
    expect(await committedText(coordinator)).toEqual(['orders-1=3'])
  })
})

describe('GroupCoordinatorActor: topics', () => {
  it('ignores a topics snapshot older than the one it has, and drops the offsets of a deleted topic', async () => {
    const { start, system } = setup()
    const first = start(ORDERS)
    await simpleCommit(first, 5n)
    first.tell(topicsChanged({ version: 0, partitionsPerTopic: new Map() }))
    expect(await committedText(first)).toEqual(['orders-0=5'])
    first.tell(topicsChanged({ version: 2, partitionsPerTopic: new Map() }))
    expect(await committedText(first)).toEqual([])
    expect((await simpleCommit(first, 6n)).results[0]!.error).toBeInstanceOf(UnknownTopicForCommitError)
    await system.stop(first)
    // The tombstones were written: the topic coming back does not bring the offsets back.
    expect(await committedText(start(ORDERS))).toEqual([])
  })

  it('writes tombstones at start for offsets of topics that no longer exist', async () => {
    const { start, system } = setup()
    const first = start(ORDERS)
    await simpleCommit(first, 5n)
    await system.stop(first)
    const whileGone = start(new Map())
    expect(await committedText(whileGone)).toEqual([])
    await system.stop(whileGone)
    expect(await committedText(start(ORDERS))).toEqual([])
  })

  it('gives member ids of a new incarnation after every start', async () => {
    const { start, system } = setup()
    const first = start(ORDERS)
    const a = new TestMember(first)
    await a.join(['orders'])
    await system.stop(first)
    const b = new TestMember(start(ORDERS))
    await b.join(['orders'])
    expect(b.memberId).not.toBe(a.memberId)
    expect(a.memberId).toMatch(/^consumer-[0-9a-z]+-1$/)
  })
})
