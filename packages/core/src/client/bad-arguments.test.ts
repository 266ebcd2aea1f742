// Item 11 of issue 7: arguments of the client calls that used to reach a raw TypeError, or be
// taken silently, each refused with a typed error naming the argument and what is allowed.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { InternalTopicError } from '../internal-topics.js'
import { OFFSETS_TOPIC } from '../group/offsets-topic.js'
import { partitionPath } from '../partition/partition-actor.js'
import { Admin } from './admin.js'
import { Consumer } from './consumer.js'
import { InvalidArgumentError, InvalidPartitionChoiceError, InvalidProducerRecordError } from './errors.js'
import { Producer } from './producer.js'
import { startTestCluster, type TestCluster } from './test-support/cluster.js'
import { encodeRecordBatch } from '@rivulet/storage'
import { InvalidBrokerConfigError } from '../broker/broker-errors.js'
import { Rivulet } from '../rivulet.js'

const clusters: TestCluster[] = []
const consumers: Consumer[] = []
afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.close()
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = (config = {}) => {
  const cluster = startTestCluster(config)
  clusters.push(cluster)
  return { cluster, admin: new Admin(cluster.connection) }
}

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('Admin arguments', () => {
  it('refuses a topic that is neither a name nor a handle, naming the argument', async () => {
    const { admin } = setup()
    for (const topic of [undefined, 123, null, { name: 5 }]) {
      const error = await rejection(admin.createTopic(topic as never, { partitions: 1 }))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error).toMatchObject({ call: 'createTopic', argument: 'topic', allowed: expect.stringMatching(/topic name \(a string\)/) })
    }
    expect(await rejection(admin.deleteTopic(undefined as never))).toMatchObject({ _tag: 'InvalidArgumentError', call: 'deleteTopic' })
    expect(await rejection(admin.describeTopic(7 as never))).toMatchObject({ _tag: 'InvalidArgumentError', call: 'describeTopic' })
    expect(((await rejection(admin.createTopic(undefined as never))) as Error).message).toBe(
      'invalid argument topic=undefined to createTopic(): expected a topic name (a string) or a topic handle from topic()',
    )
  })

  it('without options (or partitions) creates the broker’s defaultPartitions, as Kafka does', async () => {
    const { admin } = setup({ defaultPartitions: 3 })
    expect((await admin.createTopic('x')).partitionCount).toBe(3)
    expect((await admin.createTopic('y', { config: { retentionMs: 1000 } })).partitionCount).toBe(3)
    expect((await admin.createTopic('z', { partitions: 2 })).partitionCount).toBe(2)
    expect((await admin.describeTopic('y')).config.retentionMs).toBe(1000)
  })

  it('takes replicationFactor 1 or -1 (the default) on a single node and refuses anything else', async () => {
    const { admin } = setup()
    expect((await admin.createTopic('one', { partitions: 1, replicationFactor: 1 })).partitionCount).toBe(1)
    expect((await admin.createTopic('default', { partitions: 1, replicationFactor: -1 })).partitionCount).toBe(1)
    for (const replicationFactor of [-7, 0, 1.5, 2, '1', Number.NaN]) {
      const error = await rejection(admin.createTopic('bad', { partitions: 1, replicationFactor: replicationFactor as number }))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error).toMatchObject({ argument: 'options.replicationFactor', value: replicationFactor, allowed: expect.stringMatching(/^1, or -1 /) })
    }
    expect(await admin.listTopics()).toEqual(['default', 'one'])
  })

  it('names an unknown option with the nearest known one, and refuses options that are not an object', async () => {
    const { admin } = setup()
    const typo = await rejection(admin.createTopic('t', { partition: 3 } as never))
    expect(typo).toMatchObject({ _tag: 'InvalidArgumentError', argument: 'options.partition', allowed: expect.stringMatching(/did you mean "partitions"\?/) })
    expect(await rejection(admin.createTopic('t', 3 as never))).toMatchObject({ _tag: 'InvalidArgumentError', argument: 'options' })
    expect(await rejection(admin.createTopic('t', { partitions: '3' } as never))).toMatchObject({ argument: 'options.partitions' })
    expect(await admin.listTopics()).toEqual([])
  })

  it('refuses config keys a plain object inherits, also __proto__ from parsed JSON, before the broker sees them', async () => {
    const { admin } = setup()
    for (const config of [{ constructor: 1 }, { toString: 'x' }, JSON.parse('{"__proto__": {"retentionMs": 5}}')]) {
      const error = await rejection(admin.createTopic('t', { partitions: 1, config }))
      expect(error).toMatchObject({ _tag: 'InvalidLogConfigError', reason: expect.stringMatching(/^unknown setting/) })
    }
    await admin.createTopic('t', { partitions: 1 })
    expect(await rejection(admin.alterTopicConfig('t', JSON.parse('{"__proto__": {"retentionMs": 5}}')))).toMatchObject({ _tag: 'InvalidLogConfigError', key: '__proto__' })
    expect(await rejection(admin.alterTopicConfig('t', { flush: { everyMs: 5, extra: 1 } } as never))).toMatchObject({ key: 'flush.extra' })
    expect(await rejection(admin.alterTopicConfig('t', [] as never))).toMatchObject({ _tag: 'InvalidArgumentError', argument: 'config' })
    // null still drops an override.
    await admin.alterTopicConfig('t', { retentionMs: 1000 })
    await admin.alterTopicConfig('t', { retentionMs: null })
  })
})

describe('Producer arguments', () => {
  it('refuses a header value that is not a string, bytes or null, naming the header', async () => {
    const { cluster, admin } = setup()
    await admin.createTopic('t', { partitions: 1 })
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    for (const headers of [{ attempt: 3 }, [{ key: 'attempt', value: 3 }], { attempt: { n: 3 } }]) {
      const error = await rejection(producer.send('t', { value: 'v', headers: headers as never }))
      expect(error).toBeInstanceOf(InvalidProducerRecordError)
      expect((error as Error).message).toMatch(/header "attempt" has a value of type (number|object); a header value is a string, a Buffer, a Uint8Array or null/)
    }
    expect(await rejection(producer.send('t', { value: 'v', headers: 'a=b' as never }))).toMatchObject({ reason: expect.stringMatching(/^headers must be/) })
    expect(await rejection(producer.send('t', { value: 'v', headers: [null] as never }))).toBeInstanceOf(InvalidProducerRecordError)
    expect(await rejection(producer.send(undefined as unknown as string, { value: 'v' }))).toMatchObject({ _tag: 'InvalidArgumentError', call: 'send', argument: 'topic' })
    // Nothing of the refused calls was sent: the next record is the first.
    expect((await producer.send('t', { value: 'ok', headers: { attempt: '3', raw: Buffer.from([1]), none: null } })).offset).toBe(0n)
  })

  it('refuses to produce to __consumer_offsets or any internal topic, and the partition refuses it too', async () => {
    const { cluster, admin } = setup()
    // (The coordinator's own writes, marked internalTopicsAllowed, are what every group test commits through.)
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    for (const topic of [OFFSETS_TOPIC, '__other']) {
      const error = await rejection(producer.send(topic, { value: 'forged' }))
      expect(error).toBeInstanceOf(InternalTopicError)
      expect(error).toMatchObject({ topic, operation: 'produce' })
      expect((error as Error).message).toMatch(new RegExp(`cannot produce to topic "${topic}"`))
    }
    // A Produce that bypasses the client is refused by the partition itself.
    await admin.metadata(OFFSETS_TOPIC)
    const partition = cluster.connection.partition(partitionPath('c1', 0, OFFSETS_TOPIC, 0))
    const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('forged'), timestamp: 1 }])
    const refused = await rejection(partition.ask((replyTo) => ({ _tag: 'Produce', batch, acks: 'all', replyTo })))
    expect(refused).toMatchObject({ _tag: 'InternalTopicError', topic: OFFSETS_TOPIC, operation: 'produce' })
    expect((await partition.ask((replyTo) => ({ _tag: 'ListOffset', spec: 'latest', replyTo })))).toBe(0n)
  })
})

describe('Consumer offsets', () => {
  const setupConsumer = async () => {
    const { cluster, admin } = setup()
    await admin.createTopic('t', { partitions: 1 })
    const consumer = new Consumer(cluster.connection, { fetchMaxWaitMs: 50 })
    consumers.push(consumer)
    return consumer
  }

  it('assign refuses an offset at or above 2^63, a negative one and a bad partition, naming what is allowed', async () => {
    const consumer = await setupConsumer()
    for (const offset of [2n ** 63n, 2n ** 64n, -1n, -2, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      const error = (() => {
        try {
          consumer.assign([{ topic: 't', partition: 0, offset }])
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error).toMatchObject({ call: 'assign', argument: 'offset', value: offset, allowed: expect.stringContaining('9223372036854775807') })
    }
    expect(() => consumer.assign([{ topic: 't', partition: 0, offset: 2n ** 63n - 1n }])).not.toThrow()
    expect(() => consumer.assign([{ topic: 't', partition: -1 }])).toThrow(InvalidArgumentError)
    expect(() => consumer.subscribe('t', { from: { offset: 2n ** 63n } })).toThrow(/invalid argument options.from=9223372036854775808n to subscribe\(\)/)
  })

  it('seek refuses an offset at or above 2^63 or negative, and leaves the partition where it was', async () => {
    const consumer = await setupConsumer()
    const subscription = consumer.subscribe('t', { from: 'earliest' }).subscribe()
    await vi.waitFor(() => expect(() => consumer.seek({ topic: 't', partition: 0, offset: 0n })).not.toThrow())
    for (const offset of [2n ** 63n, -1n, -1]) {
      expect(() => consumer.seek({ topic: 't', partition: 0, offset })).toThrow(InvalidArgumentError)
    }
    expect(() => consumer.seek({ topic: 't', partition: 0, offset: 'nowhere' as never })).toThrow(/to seek\(\): expected 'earliest', 'latest', \{ offset \} or \{ timestamp \}/)
    subscription.unsubscribe()
  })
})

describe('Rivulet.embedded options', () => {
  it('refuses a bad askTimeoutMs or logger, and suggests its own option names for a slip', async () => {
    const dataDir = '/nonexistent/never-created'
    for (const askTimeoutMs of [-1, 0, 1.5, 2 ** 31, '100']) {
      const error = await rejection(Rivulet.embedded({ dataDir, askTimeoutMs: askTimeoutMs as number }))
      expect(error).toBeInstanceOf(InvalidBrokerConfigError)
      expect(error).toMatchObject({ key: 'askTimeoutMs', value: askTimeoutMs, reason: expect.stringMatching(/positive integer of milliseconds/) })
    }
    expect(await rejection(Rivulet.embedded({ dataDir, logger: console.log as never }))).toMatchObject({ _tag: 'InvalidBrokerConfigError', key: 'logger' })
    expect(await rejection(Rivulet.embedded({ dataDir, askTimeout: 5 } as never))).toMatchObject({ key: 'askTimeout', reason: expect.stringMatching(/did you mean "askTimeoutMs"\?/) })
    expect(await rejection(Rivulet.embedded({ dataDir, constructor: 5 } as never))).toMatchObject({ key: 'constructor', reason: expect.stringMatching(/^unknown setting/) })
  })
})

describe('a custom partitioner', () => {
  it('choosing a partition the topic does not have rejects the send with InvalidPartitionChoiceError, naming the choice', async () => {
    const { cluster, admin } = setup()
    await admin.createTopic('t', { partitions: 2 })
    const producer = new Producer(cluster.connection, { lingerMs: 0, partitioner: () => 7 })
    const error = await rejection(producer.send('t', { value: 'v' }))
    expect(error).toBeInstanceOf(InvalidPartitionChoiceError)
    expect(error).toMatchObject({ topic: 't', chosen: 7, partitionCount: 2 })
    expect((error as Error).message).toBe('the partitioner chose partition 7 of topic "t", which has partitions 0 to 1')
    await producer.close()
  })
})
