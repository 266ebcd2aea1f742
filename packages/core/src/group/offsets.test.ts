// Offset commits and fetches: fencing by generation and ownership, per-partition errors as
// data, simple consumers, deleted topics, deleting the group, and restoring from the records.
import { describe, expect, it } from 'vitest'
import {
  GroupNotEmptyError,
  InvalidOffsetError,
  NotOwnedPartitionError,
  StaleGenerationError,
  UnknownMemberError,
  UnknownTopicForCommitError,
} from './group-errors.js'
import type { CommitOffsetsRequest, OffsetToCommit } from './group-messages.js'
import type { OffsetRecord } from './offset-record.js'
import { replayOffsetRecords } from './offset-record.js'
import { Driver, group } from './test-support/group-driver.js'

const commit = (member: { memberId: string; generation: number } | undefined, ...offsets: OffsetToCommit[]): CommitOffsetsRequest =>
  member === undefined ? { _tag: 'CommitOffsets', offsets } : { _tag: 'CommitOffsets', member, offsets }
const at = (topic: string, partition: number, offset: bigint | number): OffsetToCommit => ({ topic, partition, offset: offset as bigint })
const committedOffset = (d: Driver, topic: string, partition: number) =>
  d.ok({ _tag: 'FetchOffsets', partitions: [{ topic, partition }] }).offsets[0]!.committed?.offset

describe('offset commits', () => {
  it('lets a member commit what it is giving up until it lets go, then fences its old generation', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    const b = d.join(['orders'])
    d.beat(a.memberId, 1, 'ordersp0 ordersp1 ordersp2 ordersp3') // told to give up orders-2 and -3
    expect(d.ok(commit({ memberId: a.memberId, generation: 1 }, at('orders', 3, 30n))).results).toEqual([{ topic: 'orders', partition: 3, error: undefined }])
    expect(d.effects('PersistOffsets')).toEqual([
      { _tag: 'PersistOffsets', records: [{ _tag: 'OffsetCommitted', groupId: 'billing', topic: 'orders', partition: 3, offset: 30n, metadata: '', commitTimestampMs: 0 }] },
    ])
    // b may not commit orders-3 while a still owns it.
    const early = d.ok(commit({ memberId: b.memberId, generation: 2 }, at('orders', 3, 99n))).results[0]!.error
    expect(early).toEqual(new NotOwnedPartitionError({ groupId: 'billing', memberId: b.memberId, topic: 'orders', partition: 3 }))

    d.beat(a.memberId, 1, 'ordersp0 ordersp1') // a lets go: generation 2
    const zombie = d.fail(commit({ memberId: a.memberId, generation: 1 }, at('orders', 3, 31n)))
    expect(zombie).toEqual(new StaleGenerationError({ groupId: 'billing', memberId: a.memberId, givenGeneration: 1, currentGeneration: 2 }))
    const late = d.ok(commit({ memberId: a.memberId, generation: 2 }, at('orders', 3, 31n))).results[0]!.error
    expect(late).toBeInstanceOf(NotOwnedPartitionError)
    expect(d.effects('PersistOffsets')).toEqual([])

    d.beat(b.memberId, 2, '')
    expect(d.ok(commit({ memberId: b.memberId, generation: 2 }, at('orders', 3, 40n))).results[0]!.error).toBeUndefined()
    expect(committedOffset(d, 'orders', 3)).toBe(40n)
  })

  it('judges each partition on its own and commits the good ones', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    d.ok({ _tag: 'TopicsChanged', partitionsPerTopic: new Map([['orders', 4], ['payments', 2], ['archive', 1]]) })
    const me = { memberId: a.memberId, generation: d.beatAsTold(a.memberId).generation }
    const { results } = d.ok(commit(me, at('orders', 0, 5n), at('orders', 1, -1n), at('orders', 9, 1n), at('nope', 0, 1n), at('payments', 0, 1n), at('orders', 2, 7), at('orders', 3, 2n ** 63n)))
    const groupId = 'billing'
    expect(results.map((r) => r.error)).toEqual([
      undefined,
      new InvalidOffsetError({ groupId, topic: 'orders', partition: 1, offset: -1n }),
      new UnknownTopicForCommitError({ groupId, topic: 'orders', partition: 9, partitionCount: 4 }),
      new UnknownTopicForCommitError({ groupId, topic: 'nope', partition: 0, partitionCount: undefined }),
      new NotOwnedPartitionError({ groupId, memberId: a.memberId, topic: 'payments', partition: 0 }),
      new InvalidOffsetError({ groupId, topic: 'orders', partition: 2, offset: 7 }),
      new InvalidOffsetError({ groupId, topic: 'orders', partition: 3, offset: 2n ** 63n }),
    ])
    expect(results.map((r) => r.error?.message)).toEqual([
      undefined,
      'invalid offset -1 for orders-1 in group "billing": offsets are bigints from 0 to 2^63-1',
      'cannot commit orders-9 for group "billing": the topic has 4 partitions',
      'cannot commit nope-0 for group "billing": topic "nope" does not exist',
      `member "${a.memberId}" of group "billing" does not own payments-0`,
      'invalid offset 7 for orders-2 in group "billing": offsets are bigints from 0 to 2^63-1',
      'invalid offset 9223372036854775808 for orders-3 in group "billing": offsets are bigints from 0 to 2^63-1',
    ])
    expect(committedOffset(d, 'orders', 0)).toBe(5n)
    expect(committedOffset(d, 'orders', 1)).toBeUndefined()
  })

  it('refuses commits from unknown members and from members whose session ran out', () => {
    const d = new Driver(group())
    expect(d.fail(commit({ memberId: 'ghost', generation: 1 }, at('orders', 0, 1n)))).toEqual(new UnknownMemberError({ groupId: 'billing', memberId: 'ghost' }))
    const a = d.join(['orders'], { sessionTimeoutMs: 100 })
    d.nowMs = 60
    d.ok(commit({ memberId: a.memberId, generation: 1 }, at('orders', 0, 1n))) // a commit keeps the session alive
    d.nowMs = 150
    d.ok(commit({ memberId: a.memberId, generation: 1 }, at('orders', 0, 2n)))
    d.nowMs = 250
    expect(d.fail(commit({ memberId: a.memberId, generation: 1 }, at('orders', 0, 3n)))).toBeInstanceOf(UnknownMemberError)
    expect(committedOffset(d, 'orders', 0)).toBe(2n)
  })

  it('accepts commits without a member only while the group is empty', () => {
    const d = new Driver(group())
    expect(d.ok(commit(undefined, at('payments', 1, 12n))).results[0]!.error).toBeUndefined()
    const a = d.join(['orders'])
    const error = d.fail(commit(undefined, at('payments', 1, 13n)))
    expect(error).toEqual(new GroupNotEmptyError({ groupId: 'billing', memberCount: 1, operation: 'commit without a member' }))
    expect((error as Error).message).toBe('cannot commit without a member id to group "billing": it has 1 active members')
    d.ok({ _tag: 'LeaveGroup', memberId: a.memberId })
    expect(d.ok(commit(undefined, at('payments', 1, 14n))).results[0]!.error).toBeUndefined()
    expect(committedOffset(d, 'payments', 1)).toBe(14n)
  })

  it('deletes the offsets of a deleted topic and refuses commits to it', () => {
    const d = new Driver(group())
    d.ok(commit(undefined, at('payments', 0, 3n), at('orders', 0, 4n)))
    d.ok({ _tag: 'TopicsChanged', partitionsPerTopic: new Map([['orders', 4]]) })
    expect(d.effects('PersistOffsets')).toEqual([{ _tag: 'PersistOffsets', records: [{ _tag: 'OffsetDeleted', groupId: 'billing', topic: 'payments', partition: 0 }] }])
    expect(d.ok(commit(undefined, at('payments', 0, 5n))).results[0]!.error).toBeInstanceOf(UnknownTopicForCommitError)
    expect(d.ok({ _tag: 'FetchOffsets' }).offsets.map((o) => [o.topic, o.partition, o.committed?.offset])).toEqual([['orders', 0, 4n]])
  })

  it('checks the member of a fetch as it checks the member of a commit', () => {
    const d = new Driver(group())
    const a = d.join(['orders'])
    d.join(['orders'])
    d.converge()
    expect(d.fail({ _tag: 'FetchOffsets', member: { memberId: a.memberId, generation: 1 } })).toBeInstanceOf(StaleGenerationError)
    expect(d.ok({ _tag: 'FetchOffsets', member: { memberId: a.memberId, generation: 2 } }).offsets).toEqual([])
  })

  it('deletes only an empty group, leaving tombstones for its offsets', () => {
    const d = new Driver(group())
    d.ok(commit(undefined, at('orders', 1, 8n)))
    const a = d.join(['orders'])
    expect(d.fail({ _tag: 'DeleteGroup' })).toEqual(new GroupNotEmptyError({ groupId: 'billing', memberCount: 1, operation: 'delete group' }))
    d.ok({ _tag: 'LeaveGroup', memberId: a.memberId })
    d.ok({ _tag: 'DeleteGroup' })
    expect(d.state.phase).toBe('Dead')
    expect(d.effects('PersistOffsets')).toEqual([{ _tag: 'PersistOffsets', records: [{ _tag: 'OffsetDeleted', groupId: 'billing', topic: 'orders', partition: 1 }] }])
  })

  it('comes back after a restart with the offsets its records hold', () => {
    const d = new Driver(group())
    const records: OffsetRecord[] = []
    const persist = () => records.push(...d.effects('PersistOffsets').flatMap((e) => (e as { records: OffsetRecord[] }).records))
    d.nowMs = 7
    d.ok(commit(undefined, at('orders', 0, 1n), at('orders', 1, 2n)))
    persist()
    d.ok(commit(undefined, { ...at('orders', 0, 3n), metadata: 'm' }))
    persist()
    records.push({ _tag: 'OffsetCommitted', groupId: 'other', topic: 'orders', partition: 2, offset: 9n, metadata: '', commitTimestampMs: 0 })
    const restarted = new Driver(group({ incarnation: 'i2', committed: replayOffsetRecords('billing', records) }))
    expect(restarted.ok({ _tag: 'FetchOffsets' }).offsets).toEqual(d.ok({ _tag: 'FetchOffsets' }).offsets)
    expect(restarted.ok({ _tag: 'FetchOffsets' }).offsets.map((o) => o.committed)).toEqual([
      { topic: 'orders', partition: 0, offset: 3n, metadata: 'm', commitTimestampMs: 7 },
      { topic: 'orders', partition: 1, offset: 2n, metadata: '', commitTimestampMs: 7 },
    ])
    expect(restarted.join(['orders']).memberId).toBe('consumer-i2-1')
  })
})
