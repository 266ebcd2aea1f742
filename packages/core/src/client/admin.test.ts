import { InvalidLogConfigError } from '@rivulet/storage'
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidPartitionCountError, TopicExistsError, UnknownTopicError } from '../errors.js'
import { Admin } from './admin.js'
import { InvalidClientOptionError } from './errors.js'
import { Producer } from './producer.js'
import { startTestCluster, type TestCluster } from './test-support/cluster.js'
import { topic } from './topic.js'

const clusters: TestCluster[] = []
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = () => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  return { cluster, admin: new Admin(cluster.connection) }
}

describe('Admin', () => {
  it('creates, lists, describes, grows, reconfigures and deletes topics', async () => {
    const { cluster, admin } = setup()
    const created = await admin.createTopic('orders', { partitions: 2, config: { retentionMs: 60_000 } })
    expect(created).toMatchObject({ name: 'orders', partitionCount: 2 })
    await admin.createTopic(topic('audit'), { partitions: 1 })
    expect(await admin.listTopics()).toEqual(['audit', 'orders'])

    await new Producer(cluster.connection, { lingerMs: 0 }).send('orders', [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }])
    const description = await admin.describeTopic('orders')
    expect(description.config.retentionMs).toBe(60_000)
    expect(description.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset])).toEqual([
      [0, 0n, 0n],
      [1, 0n, 2n],
    ])

    expect((await admin.createPartitions('orders', 4)).partitionCount).toBe(4)
    expect((await admin.metadata('orders')).partitionLeaders).toHaveLength(4)
    await admin.alterTopicConfig('orders', { retentionMs: 120_000 })
    expect((await admin.describeTopic('orders')).config.retentionMs).toBe(120_000)

    await admin.deleteTopic('audit')
    expect(await admin.listTopics()).toEqual(['orders'])
  })

  it('passes the broker’s errors through as they are', async () => {
    const { admin } = setup()
    await admin.createTopic('t', { partitions: 1 })
    await expect(admin.createTopic('t', { partitions: 1 })).rejects.toBeInstanceOf(TopicExistsError)
    await expect(admin.describeTopic('missing')).rejects.toBeInstanceOf(UnknownTopicError)
    await expect(admin.deleteTopic('missing')).rejects.toBeInstanceOf(UnknownTopicError)
    await expect(admin.createPartitions('t', 1)).rejects.toBeInstanceOf(InvalidPartitionCountError)
    await expect(admin.alterTopicConfig('t', { retentionMs: 'soon' })).rejects.toBeInstanceOf(InvalidLogConfigError)
  })

  it('with ifNotExists answers an existing topic with its metadata and leaves it as it was', async () => {
    const { admin } = setup()
    await admin.createTopic('t', { partitions: 2, config: { retentionMs: 60_000 } })
    const again = await admin.createTopic('t', { partitions: 5, config: { retentionMs: 1 }, ifNotExists: true })
    expect(again).toMatchObject({ name: 't', partitionCount: 2 })
    expect((await admin.describeTopic('t')).config.retentionMs).toBe(60_000)
    expect((await admin.createTopic('fresh', { partitions: 3, ifNotExists: true })).partitionCount).toBe(3)
    await expect(admin.createTopic('t', { ifNotExists: 'yes' } as never)).rejects.toThrow(/ifNotExists/)
  })

  it('finds per partition the first offset at or after a time, or the log end when none is', async () => {
    const { cluster, admin } = setup()
    await admin.createTopic('t', { partitions: 2 })
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    await producer.send('t', [1000, 2000, 3000].map((timestamp) => ({ value: `${timestamp}`, partition: 0, timestamp })))
    await producer.send('t', [{ value: 'early', partition: 1, timestamp: 500 }])
    expect(await admin.offsetsForTimestamp('t', 1500)).toEqual([
      { partition: 0, offset: 1n },
      { partition: 1, offset: 1n },
    ])
    expect(await admin.offsetsForTimestamp('t', 0)).toEqual([
      { partition: 0, offset: 0n },
      { partition: 1, offset: 0n },
    ])
    expect((await admin.offsetsForTimestamp('t', 3000))[0]).toEqual({ partition: 0, offset: 2n })
    await expect(admin.offsetsForTimestamp('t', -1)).rejects.toThrow(/timestamp=-1 to offsetsForTimestamp/)
    await expect(admin.offsetsForTimestamp('t', 1.5)).rejects.toThrow(/whole number/)
    await expect(admin.offsetsForTimestamp('missing', 0)).rejects.toBeInstanceOf(UnknownTopicError)
  })

  it("takes Kafka's dotted config names and keeps each override under the log config's own name", async () => {
    const { admin } = setup()
    await admin.createTopic('t', { partitions: 1, config: { 'retention.ms': '60000', 'cleanup.policy': 'compact' } })
    await admin.alterTopicConfig('t', { retentionMs: 120_000, 'segment.bytes': 1 << 20 })
    const description = await admin.describeTopic('t')
    expect(description.overrides).toEqual({ retentionMs: 120_000, cleanupPolicy: 'compact', segmentBytes: 1 << 20 })
    await admin.alterTopicConfig('t', { 'retention.ms': null })
    expect((await admin.describeTopic('t')).overrides).toEqual({ cleanupPolicy: 'compact', segmentBytes: 1 << 20 })
    await expect(admin.alterTopicConfig('t', { 'compression.type': 'gzip' } as never)).rejects.toThrow(/compression.type.*does not support/)
  })

  it('refuses bad options', () => {
    const { cluster } = setup()
    expect(() => new Admin(cluster.connection, { requestTimeoutMs: 0 })).toThrow(InvalidClientOptionError)
    expect(() => new Admin(cluster.connection, { timeout: 5 } as never)).toThrow(/unknown option/)
  })
})
