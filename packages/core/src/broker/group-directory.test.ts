import { afterEach, describe, expect, it } from 'vitest'
import { actorPath } from '../actor/actor-path.js'
import { InvalidGroupIdError } from '../group/group-errors.js'
import { OFFSETS_TOPIC } from '../group/offsets-topic.js'
import { OFFSETS_PARTITIONS, startGroupCluster } from './test-support/group-cluster.js'
import { committedText, converge, describeOf, offsets, TestMember } from '../group/test-support/test-member.js'
import { settled } from '../partition/test-support/partition-client.js'
import { InternalTopicError } from '../internal-topics.js'
import type { TopicConfig } from './broker-protocol.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('BrokerActor: the offsets topic', () => {
  it('is created on start, compacted and flushed on every batch, and listed only when asked', async () => {
    const cluster = startGroupCluster(cleanups)
    const { broker } = cluster
    const described = await broker.ask((replyTo) => ({ _tag: 'DescribeTopic', name: OFFSETS_TOPIC, replyTo }))
    expect(described.partitions).toHaveLength(OFFSETS_PARTITIONS)
    expect(described.config).toMatchObject({ cleanupPolicy: 'compact', flush: 'every-batch', segmentBytes: 100 * 1024 * 1024 })
    expect(await broker.ask((replyTo) => ({ _tag: 'ListTopics', replyTo }))).toEqual([])
    expect(await broker.ask((replyTo) => ({ _tag: 'ListTopics', includeInternal: true, replyTo }))).toEqual([OFFSETS_TOPIC])
    // A restart keeps the topic as it was, even with another partition count configured.
    const metadata = (target: typeof cluster) => target.broker.ask((replyTo) => ({ _tag: 'Metadata', topic: OFFSETS_TOPIC, autoCreate: false, replyTo }))
    expect((await metadata(await cluster.restart({ offsetsTopicPartitions: 7 }))).partitionCount).toBe(OFFSETS_PARTITIONS)
    expect((await metadata(startGroupCluster(cleanups, { offsetsTopicPartitions: 7 }))).partitionCount).toBe(7)
  })

  it('refuses user changes to topics named __...', async () => {
    const { broker } = startGroupCluster(cleanups, { autoCreateTopics: true })
    const refused = async (request: Promise<unknown>, operation: InternalTopicError['operation']) => {
      const error = await settled(request)
      expect(error).toBeInstanceOf(InternalTopicError)
      expect(error).toMatchObject({ operation })
      expect((error as Error).message).toContain('reserved')
    }
    await refused(broker.ask((replyTo) => ({ _tag: 'CreateTopic', name: '__mine', partitions: 1, config: {}, replyTo })), 'create')
    await refused(broker.ask((replyTo) => ({ _tag: 'Metadata', topic: '__auto', autoCreate: true, replyTo })), 'create')
    await refused(broker.ask((replyTo) => ({ _tag: 'DeleteTopic', name: OFFSETS_TOPIC, replyTo })), 'delete')
    await refused(broker.ask((replyTo) => ({ _tag: 'CreatePartitions', name: OFFSETS_TOPIC, totalCount: 50, replyTo })), 'create partitions')
    const config: TopicConfig = { flush: 'os' }
    await refused(broker.ask((replyTo) => ({ _tag: 'AlterTopicConfig', name: OFFSETS_TOPIC, config, replyTo })), 'alter config')
    expect(await broker.ask((replyTo) => ({ _tag: 'ListTopics', includeInternal: true, replyTo }))).toEqual([OFFSETS_TOPIC])
  })
})

describe('BrokerActor: FindCoordinator and ListGroups', () => {
  it('spawns one coordinator per group id at an escaped path, and refuses an empty id', async () => {
    const { broker, system } = startGroupCluster(cleanups)
    const find = (groupId: string) => broker.ask((replyTo) => ({ _tag: 'FindCoordinator', groupId, replyTo }))
    const path = await find('billing team.v1')
    expect(path).toBe(actorPath('c1', 0, 'group', 'billing team.v1'))
    expect(path).toBe('c1.0.group.billing~20team~2Ev1')
    expect(await find('billing team.v1')).toBe(path)
    expect(system.find(path)).toBeDefined()
    expect(await settled(find(''))).toBeInstanceOf(InvalidGroupIdError)
  })

  it('lists groups with members or offsets, also after a restart, and not the empty or deleted ones', async () => {
    const cluster = startGroupCluster(cleanups)
    await cluster.createTopic('orders', 2)
    const list = (target = cluster) => target.broker.ask((replyTo) => ({ _tag: 'ListGroups', replyTo }))
    const billing = await cluster.coordinator('billing')
    const member = new TestMember(billing)
    await member.join(['orders'])
    const audit = await cluster.coordinator('audit')
    await audit.ask((replyTo) => ({ _tag: 'CommitOffsets', offsets: offsets(['orders', 1, 4n]), replyTo }))
    await cluster.coordinator('idle')
    const doomed = await cluster.coordinator('doomed')
    await doomed.ask((replyTo) => ({ _tag: 'CommitOffsets', offsets: offsets(['orders', 0, 1n]), replyTo }))
    await doomed.ask((replyTo) => ({ _tag: 'DeleteGroup', replyTo }))
    expect(await list()).toEqual([
      { groupId: 'audit', state: 'Empty' },
      { groupId: 'billing', state: 'Stable' },
    ])
    await member.commit(['orders', 0, 9n])
    const restarted = await cluster.restart()
    expect(await list(restarted)).toEqual([
      { groupId: 'audit', state: 'Empty' },
      { groupId: 'billing', state: 'Empty' },
    ])
  })

  it('tells coordinators of created and grown topics: a waiting member gets the new partitions at once', async () => {
    const cluster = startGroupCluster(cleanups)
    const coordinator = await cluster.coordinator('billing')
    const member = new TestMember(coordinator)
    expect((await member.join(['later'])).assignment).toEqual([])
    const waiting = member.heartbeat(3_000)
    await cluster.createTopic('later', 2)
    expect((await waiting).assignment).toEqual([
      { topic: 'later', partition: 0 },
      { topic: 'later', partition: 1 },
    ])
    await converge(coordinator, [member])
    const grown = member.heartbeat(3_000)
    await cluster.broker.ask((replyTo) => ({ _tag: 'CreatePartitions', name: 'later', totalCount: 3, replyTo }))
    expect((await grown).assignment).toHaveLength(3)
    expect((await describeOf(coordinator)).members[0]!.subscribedTopics).toEqual(['later'])
    expect(await committedText(coordinator)).toEqual([])
  })
})
