import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidLogConfigError, RecordBatchTooLargeError } from '@rivulet/storage'
import { afterEach, describe, expect, it } from 'vitest'
import type { ActorRef } from '../actor/actor-ref.js'
import { quietSystem } from '../actor/test-support/fixtures.js'
import { InvalidPartitionCountError, TopicExistsError, UnknownTopicError } from '../errors.js'
import { partitionLogDir } from '../partition/partition-actor.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { fetchFrom, produce, settled } from '../partition/test-support/partition-client.js'
import { batchOf, idempotentBatch, recordsIn, tempDir } from '../partition/test-support/records.js'
import { InvalidTopicNameError } from '../topic-name.js'

import { type BrokerOptions, brokerPath, startBroker } from './broker-actor.js'
import type { BrokerLogger } from '../broker-logger.js'
import { recordingLogger } from './test-support/recording-logger.js'
import type { BrokerConfigInput } from './broker-config.js'
import { CorruptClusterFileError, TopicNameCollisionError } from './broker-errors.js'
import type { BrokerMessage, TopicConfig, TopicMetadata } from './broker-protocol.js'
import { topicRegistryFile } from './topic-registry.js'
import { thrownBy } from '@rivulet/test-kit'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const freshDir = (): string => {
  const { dir, remove } = tempDir('broker')
  cleanups.push(remove)
  return dir
}

const boot = (dataDir: string, config: Partial<BrokerConfigInput> = {}, logger: BrokerLogger = recordingLogger(), options: BrokerOptions = {}) => {
  const { system } = quietSystem()
  cleanups.push(() => system.shutdown())
  const broker = startBroker(system, { dataDir, clusterId: 'c1', defaultTopicConfig: { flush: 'os' }, ...config }, { logger, ...options })
  const partition = (metadata: TopicMetadata, n: number) => system.lookup<PartitionMessage>(metadata.partitionLeaders[n])
  return { system, broker, partition }
}

const createTopic = (broker: ActorRef<BrokerMessage>, name: string, partitions: number, config: TopicConfig = {}) =>
  broker.ask((replyTo) => ({ _tag: 'CreateTopic', name, partitions, config, replyTo }))
const metadata = (broker: ActorRef<BrokerMessage>, topic: string, autoCreate = false) =>
  broker.ask((replyTo) => ({ _tag: 'Metadata', topic, autoCreate, replyTo }))
const describeTopic = (broker: ActorRef<BrokerMessage>, name: string) =>
  broker.ask((replyTo) => ({ _tag: 'DescribeTopic', name, replyTo }))
const initProducerId = (broker: ActorRef<BrokerMessage>) => broker.ask((replyTo) => ({ _tag: 'InitProducerId', replyTo }))

describe('BrokerActor: topics', () => {
  it('creates a topic whose partitions live at the paths its metadata names', async () => {
    const { broker, partition } = boot(freshDir())
    const created = await createTopic(broker, 'orders.v1', 3)
    expect(created).toEqual({
      name: 'orders.v1',
      partitionCount: 3,
      partitionLeaders: ['c1.0.partition.orders~2Ev1.0', 'c1.0.partition.orders~2Ev1.1', 'c1.0.partition.orders~2Ev1.2'],
    })
    expect(broker.path).toBe(brokerPath('c1', 0))
    expect(await metadata(broker, 'orders.v1')).toEqual(created)
    expect((await produce(partition(created, 2), batchOf(['x']))).baseOffset).toBe(0n)
    await createTopic(broker, 'audit', 1)
    expect(await broker.ask((replyTo) => ({ _tag: 'ListTopics', replyTo }))).toEqual(['audit', 'orders.v1'])
    const description = await describeTopic(broker, 'orders.v1')
    expect(description.partitions.map((p) => [p.partition, p.logEndOffset])).toEqual([
      [0, 0n],
      [1, 0n],
      [2, 1n],
    ])
  })

  it('refuses bad requests with typed errors and changes nothing', async () => {
    const { broker } = boot(freshDir())
    await createTopic(broker, 'orders', 1)
    const fails = async (request: Promise<unknown>, type: abstract new (...args: never[]) => Error) => {
      const error = await settled(request)
      expect(error).toBeInstanceOf(type)
      return error as Error
    }
    for (const name of ['', 'a b', '..', 'x'.repeat(250), 'ørders']) await fails(createTopic(broker, name, 1), InvalidTopicNameError)
    for (const count of [0, -1, 1.5, Number.NaN]) await fails(createTopic(broker, 'fresh', count), InvalidPartitionCountError)
    await fails(createTopic(broker, 'orders', 1), TopicExistsError)
    const bad = await fails(createTopic(broker, 'fresh', 1, { retentionMillis: 5 } as TopicConfig), InvalidLogConfigError)
    expect(bad).toMatchObject({ key: 'retentionMillis' })
    await fails(createTopic(broker, 'fresh', 1, { retentionMs: -5 }), InvalidLogConfigError)
    // A config parsed from JSON (a file, the wire) can carry __proto__ as an own key: refused, not dropped.
    const proto = await fails(createTopic(broker, 'fresh', 1, JSON.parse('{"__proto__": {"retentionMs": 1}}') as TopicConfig), InvalidLogConfigError)
    expect(proto).toMatchObject({ key: '__proto__' })
    await fails(metadata(broker, 'missing'), UnknownTopicError)
    await fails(metadata(broker, 'missing', true), UnknownTopicError)
    await fails(describeTopic(broker, 'missing'), UnknownTopicError)
    await fails(broker.ask((replyTo) => ({ _tag: 'DeleteTopic', name: 'missing', replyTo })), UnknownTopicError)
    expect(await broker.ask((replyTo) => ({ _tag: 'ListTopics', replyTo }))).toEqual(['orders'])
  })

  it("refuses a name that differs from an existing one only in '.' versus '_'", async () => {
    const { broker } = boot(freshDir())
    await createTopic(broker, 'a.b', 1)
    const error = await settled(createTopic(broker, 'a_b', 1))
    expect(error).toBeInstanceOf(TopicNameCollisionError)
    expect(error).toMatchObject({ topic: 'a_b', existing: 'a.b' })
  })

  it('creates an unknown topic on Metadata only when both the request and the broker allow it', async () => {
    const { broker } = boot(freshDir(), { autoCreateTopics: true, defaultPartitions: 2 })
    expect(await settled(metadata(broker, 'auto', false))).toBeInstanceOf(UnknownTopicError)
    expect((await metadata(broker, 'auto', true)).partitionCount).toBe(2)
    expect(await settled(metadata(broker, 'bad name', true))).toBeInstanceOf(InvalidTopicNameError)
  })

  it('only raises the partition count, and the new partitions work', async () => {
    const { broker, partition } = boot(freshDir())
    await createTopic(broker, 'orders', 2)
    const createPartitions = (totalCount: number) =>
      broker.ask((replyTo) => ({ _tag: 'CreatePartitions', name: 'orders', totalCount, replyTo }))
    for (const count of [1, 2, 2.5]) expect(await settled(createPartitions(count))).toBeInstanceOf(InvalidPartitionCountError)
    const grown = await createPartitions(4)
    expect(grown.partitionCount).toBe(4)
    expect((await produce(partition(grown, 3), batchOf(['new']))).baseOffset).toBe(0n)
  })

  it('persists config overrides and has every partition apply them', async () => {
    const { broker, partition } = boot(freshDir())
    const topic = await createTopic(broker, 'orders', 2, { retentionMs: 60_000 })
    const alter = (config: TopicConfig) => broker.ask((replyTo) => ({ _tag: 'AlterTopicConfig', name: 'orders', config, replyTo }))
    await alter({ maxBatchBytes: 100 })
    const described = await describeTopic(broker, 'orders')
    expect(described.overrides).toEqual({ retentionMs: 60_000, maxBatchBytes: 100 })
    expect(described.config).toMatchObject({ retentionMs: 60_000, maxBatchBytes: 100, flush: 'os' })
    for (const n of [0, 1]) {
      expect(await settled(produce(partition(topic, n), batchOf(['x'.repeat(200)])))).toBeInstanceOf(RecordBatchTooLargeError)
    }
    await alter({ maxBatchBytes: null })
    expect((await describeTopic(broker, 'orders')).overrides).toEqual({ retentionMs: 60_000 })
    expect((await produce(partition(topic, 1), batchOf(['x'.repeat(200)]))).baseOffset).toBe(0n)
    expect(await settled(alter({ flush: 'sometimes' }))).toBeInstanceOf(InvalidLogConfigError)
  })

  it('deletes a topic: its actors stop and its files go; the name can be used again, empty', async () => {
    const dataDir = freshDir()
    const { system, broker, partition } = boot(dataDir)
    const topic = await createTopic(broker, 'orders', 2)
    await produce(partition(topic, 0), batchOf(['old']))
    await broker.ask((replyTo) => ({ _tag: 'DeleteTopic', name: 'orders', replyTo }))
    expect(existsSync(partitionLogDir(dataDir, 'orders', 0))).toBe(false)
    expect(existsSync(partitionLogDir(dataDir, 'orders', 1))).toBe(false)
    expect(system.find(topic.partitionLeaders[0])).toBeUndefined()
    expect(await settled(metadata(broker, 'orders'))).toBeInstanceOf(UnknownTopicError)
    const again = await createTopic(broker, 'orders', 1)
    expect((await produce(partition(again, 0), batchOf(['new']))).baseOffset).toBe(0n)
  })

  it('hands out producer ids that are never reused across restarts', async () => {
    const dataDir = freshDir()
    const first = boot(dataDir)
    const a = await initProducerId(first.broker)
    const b = await initProducerId(first.broker)
    expect(a).toEqual({ producerId: 0n, producerEpoch: 0 })
    expect(b.producerId).toBe(1n)
    await first.system.shutdown()
    const c = await initProducerId(boot(dataDir).broker)
    expect(c.producerId > b.producerId).toBe(true)
  })
})

describe('BrokerActor: restart on the same data directory', () => {
  it('brings back every topic, partition, offset and producer state', async () => {
    const dataDir = freshDir()
    const first = boot(dataDir)
    const orders = await createTopic(first.broker, 'orders', 2, { retentionMs: 123_456 })
    await createTopic(first.broker, 'audit', 1)
    await first.broker.ask((replyTo) => ({ _tag: 'CreatePartitions', name: 'audit', totalCount: 3, replyTo }))
    const { producerId } = await initProducerId(first.broker)
    const retried = idempotentBatch(producerId, 1, ['c'])
    await produce(first.partition(orders, 1), batchOf(['a']))
    await produce(first.partition(orders, 1), idempotentBatch(producerId, 0, ['b']))
    await produce(first.partition(orders, 1), Buffer.from(retried))
    const before = (await fetchFrom(first.partition(orders, 1), 0n)).records
    await first.system.shutdown()

    const second = boot(dataDir)
    expect(await second.broker.ask((replyTo) => ({ _tag: 'ListTopics', replyTo }))).toEqual(['audit', 'orders'])
    expect((await metadata(second.broker, 'audit')).partitionCount).toBe(3)
    expect((await describeTopic(second.broker, 'orders')).overrides).toEqual({ retentionMs: 123_456 })
    const partition = second.partition(await metadata(second.broker, 'orders'), 1)
    const after = await fetchFrom(partition, 0n)
    expect(after.records.equals(before)).toBe(true)
    expect(recordsIn(after.records).map((record) => [record.offset, record.value])).toEqual([
      [0n, 'a'],
      [1n, 'b'],
      [2n, 'c'],
    ])
    expect(await produce(partition, Buffer.from(retried))).toMatchObject({ baseOffset: 2n, duplicate: true })
    expect((await produce(partition, idempotentBatch(producerId, 2, ['d']))).baseOffset).toBe(3n)
  })

  it('rebuilds a topic registry that does not decode from the partition directories, saying so', async () => {
    const dataDir = freshDir()
    const first = boot(dataDir)
    const created = await createTopic(first.broker, 'orders', 2, { retentionMs: 60_000 })
    await produce(first.partition(created, 1), batchOf(['kept']))
    await first.system.shutdown()
    writeFileSync(topicRegistryFile(dataDir), '{"version":1,"topics":[{"name":"orders","partitions":"two","config":{}}]}')
    const logger = recordingLogger()
    const second = boot(dataDir, {}, logger)
    const described = await describeTopic(second.broker, 'orders')
    expect(described.overrides).toEqual({ retentionMs: 60_000 })
    expect(described.partitions.map((p) => p.logEndOffset)).toEqual([0n, 1n])
    expect(logger.lines.map((line) => line.message)).toContainEqual(expect.stringContaining(`corrupt broker file ${topicRegistryFile(dataDir)}`))
  })

  it('rebuilds a registry whose topic config does not decode; refuses when the directories say the same, naming the file', async () => {
    const dataDir = freshDir()
    const first = boot(dataDir)
    await createTopic(first.broker, 'orders', 1, { retentionMs: 5000 })
    await first.system.shutdown()
    const registry = readFileSync(topicRegistryFile(dataDir), 'utf8')
    writeFileSync(topicRegistryFile(dataDir), registry.replace('"retentionMs": 5000', '"retentionMs": "soon"'))
    const second = boot(dataDir)
    expect((await describeTopic(second.broker, 'orders')).overrides).toEqual({ retentionMs: 5000 })
    await second.system.shutdown()
    writeFileSync(topicRegistryFile(dataDir), registry.replace('"retentionMs": 5000', '"retentionMs": "soon"'))
    const metadataFile = join(partitionLogDir(dataDir, 'orders', 0), 'partition.metadata')
    writeFileSync(metadataFile, readFileSync(metadataFile, 'utf8').replace('"retentionMs":5000', '"retentionMs":"soon"'))
    const { system } = quietSystem()
    cleanups.push(() => system.shutdown())
    const error = thrownBy(() => startBroker(system, { dataDir }, { logger: recordingLogger() }), CorruptClusterFileError)
    expect(error.file).toBe(metadataFile)
    expect(readdirSync(dataDir)).toContain('orders-0')
  })
})
