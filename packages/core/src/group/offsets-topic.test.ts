import { afterEach, describe, expect, it } from 'vitest'
import { describePartition, maintain, settled } from '../partition/test-support/partition-client.js'
import { GroupNotEmptyError, UnknownTopicForCommitError } from './group-errors.js'
import type { OffsetRecord } from './offset-record.js'
import { encodeOffsetBatch, groupsWithOffsets, offsetsPartitionFor, readOffsetRecords } from './offsets-topic.js'
import { startGroupCluster } from '../broker/test-support/group-cluster.js'
import { committedText, describeOf, offsets, TestMember } from './test-support/test-member.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const committed = (groupId: string, topic: string, partition: number, offset: bigint): OffsetRecord => ({
  _tag: 'OffsetCommitted',
  groupId,
  topic,
  partition,
  offset,
  metadata: '',
  commitTimestampMs: 1,
})

describe('offsets topic', () => {
  it('places a group by murmur2 of its id, as Kafka places a record keyed by it', () => {
    // From Kafka's Utils.murmur2: "foobar" -790332482, "21" -973932308, "abc" 479470107.
    expect(['foobar', '21', 'abc'].map((groupId) => offsetsPartitionFor(groupId, 10))).toEqual([6, 0, 7])
    expect(['foobar', '21', 'abc'].map((groupId) => offsetsPartitionFor(groupId, 50))).toEqual([16, 40, 7])
  })

  it('writes one batch per commit and knows which groups still have offsets', () => {
    const batch = encodeOffsetBatch([committed('g', 'orders', 0, 5n), committed('g', 'orders', 1, 6n)], 1000)
    expect(batch.readInt32BE(57)).toBe(2)
    const records: OffsetRecord[] = [
      committed('kept', 'orders', 0, 1n),
      committed('gone', 'orders', 0, 1n),
      { _tag: 'OffsetDeleted', groupId: 'gone', topic: 'orders', partition: 0 },
      { _tag: 'OffsetDeleted', groupId: 'never', topic: 'orders', partition: 0 },
    ]
    expect([...groupsWithOffsets(records)]).toEqual(['kept'])
  })
})

describe('committed offsets through the broker', () => {
  it('survive a broker restart, metadata and commit time included', async () => {
    const cluster = startGroupCluster(cleanups)
    await cluster.createTopic('orders', 2)
    const coordinator = await cluster.coordinator('billing')
    const member = new TestMember(coordinator)
    await member.join(['orders'])
    const member0 = { memberId: member.memberId, generation: member.generation }
    await coordinator.ask((replyTo) => ({ _tag: 'CommitOffsets', member: member0, offsets: [{ topic: 'orders', partition: 0, offset: 10n, metadata: 'm0' }], replyTo }))
    await member.commit(['orders', 1, 20n])
    await member.commit(['orders', 1, 21n])
    const before = (await coordinator.ask((replyTo) => ({ _tag: 'FetchOffsets', replyTo }))).offsets
    expect(before.map((o) => [o.partition, o.committed?.offset, o.committed?.metadata])).toEqual([
      [0, 10n, 'm0'],
      [1, 21n, ''],
    ])

    const restarted = await cluster.restart()
    const again = await restarted.coordinator('billing')
    expect((await again.ask((replyTo) => ({ _tag: 'FetchOffsets', replyTo }))).offsets).toEqual(before)
    expect((await describeOf(again)).members).toEqual([])
    // Membership is not persisted: the old member id is unknown, and a new join gets a fresh id.
    const rejoined = new TestMember(again)
    await rejoined.join(['orders'])
    expect(rejoined.memberId).not.toBe(member.memberId)
  })

  it('DeleteGroup refuses a group with members, then removes its offsets for good', async () => {
    const cluster = startGroupCluster(cleanups)
    await cluster.createTopic('orders', 2)
    const coordinator = await cluster.coordinator('billing')
    const member = new TestMember(coordinator)
    await member.join(['orders'])
    await member.commit(['orders', 0, 3n])
    const deleteGroup = (target = coordinator) => target.ask((replyTo) => ({ _tag: 'DeleteGroup', replyTo }))
    expect(await settled(deleteGroup())).toEqual(new GroupNotEmptyError({ groupId: 'billing', memberCount: 1, operation: 'delete group' }))
    await member.leave()
    await deleteGroup()
    expect(await cluster.broker.ask((replyTo) => ({ _tag: 'ListGroups', replyTo }))).toEqual([])
    // The next FindCoordinator starts the group afresh.
    expect(await committedText(await cluster.coordinator('billing'))).toEqual([])
    const restarted = await cluster.restart()
    expect(await committedText(await restarted.coordinator('billing'))).toEqual([])
    expect(await restarted.broker.ask((replyTo) => ({ _tag: 'ListGroups', replyTo }))).toEqual([])
  })

  it('ResetOffsets works only on an empty group, and sets all the offsets given or none', async () => {
    const cluster = startGroupCluster(cleanups)
    await cluster.createTopic('orders', 2)
    const coordinator = await cluster.coordinator('billing')
    const reset = (...entries: [string, number, bigint][]) =>
      coordinator.ask((replyTo) => ({ _tag: 'ResetOffsets', offsets: offsets(...entries), replyTo }))
    const member = new TestMember(coordinator)
    await member.join(['orders'])
    await member.commit(['orders', 0, 50n], ['orders', 1, 60n])
    expect(await settled(reset(['orders', 0, 0n]))).toEqual(new GroupNotEmptyError({ groupId: 'billing', memberCount: 1, operation: 'reset offsets' }))
    await member.leave()
    const refused = await settled(reset(['orders', 0, 0n], ['missing', 0, 0n]))
    expect(refused).toBeInstanceOf(UnknownTopicForCommitError)
    expect(await committedText(coordinator)).toEqual(['orders-0=50', 'orders-1=60'])
    await reset(['orders', 0, 0n], ['orders', 1, 7n])
    expect(await committedText(coordinator)).toEqual(['orders-0=0', 'orders-1=7'])
    const restarted = await cluster.restart()
    expect(await committedText(await restarted.coordinator('billing'))).toEqual(['orders-0=0', 'orders-1=7'])
  })

  it('are compacted: many commits shrink to the last per partition, and still restore', async () => {
    const cluster = startGroupCluster(cleanups, { offsetsTopicSegmentBytes: 1024 })
    await cluster.createTopic('orders', 2)
    const coordinator = await cluster.coordinator('billing')
    const commit = (partition: number, offset: bigint) =>
      coordinator.ask((replyTo) => ({ _tag: 'CommitOffsets', offsets: offsets(['orders', partition, offset]), replyTo }))
    for (let i = 1; i <= 150; i++) await commit(i % 2, BigInt(i))
    const partition = cluster.offsetsPartition('billing')
    const before = await describePartition(partition)
    expect(before.segmentCount).toBeGreaterThan(5)
    await maintain(partition)
    const after = await describePartition(partition)
    expect(after.sizeBytes).toBeLessThan(before.sizeBytes / 5)
    expect(after.logEndOffset).toBe(before.logEndOffset)
    expect((await readOffsetRecords(partition)).length).toBeLessThan(20)
    const restarted = await cluster.restart()
    expect(await committedText(await restarted.coordinator('billing'))).toEqual(['orders-0=150', 'orders-1=149'])
  })
})
