// The broker's topic creation and deletion where they meet the disk: bounded partition counts,
// creation whole or not at all, directories that hold records never removed to make room, and
// deletions a crash interrupted finished at the next start.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Log, type LogConfigInput, type LogOptions } from '@rivulet/storage'
import { afterEach, describe, expect, it } from 'vitest'
import type { ActorRef } from '../actor/actor-ref.js'
import { quietSystem } from '../actor/test-support/fixtures.js'
import { partitionLogDir } from '../partition/partition-actor.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { fetchFrom, produce, settled } from '../partition/test-support/partition-client.js'
import { batchOf, recordsIn, tempDir } from '../partition/test-support/records.js'
import { type BrokerOptions, startBroker } from './broker-actor.js'
import type { BrokerConfigInput } from './broker-config.js'
import { StrayPartitionDirectoryError, TooManyPartitionsError, TopicCreationFailedError } from './broker-errors.js'
import type { BrokerMessage, TopicMetadata } from './broker-protocol.js'
import { readTopicRegistry, writeTopicRegistry } from './topic-registry.js'
import { recordingLogger } from './test-support/recording-logger.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
const freshDir = (): string => {
  const { dir, remove } = tempDir('lifecycle')
  cleanups.push(remove)
  return dir
}
const boot = (dataDir: string, config: Partial<BrokerConfigInput> = {}, options: BrokerOptions = {}) => {
  const { system } = quietSystem()
  cleanups.push(() => system.shutdown())
  const logger = recordingLogger()
  const broker = startBroker(system, { dataDir, defaultTopicConfig: { flush: 'os' }, offsetsTopicPartitions: 1, ...config }, { logger, ...options })
  const partition = (metadata: TopicMetadata, n: number) => system.lookup<PartitionMessage>(metadata.partitionLeaders[n])
  return { system, broker, partition, logger }
}
const createTopic = (broker: ActorRef<BrokerMessage>, name: string, partitions: number) =>
  broker.ask((replyTo) => ({ _tag: 'CreateTopic', name, partitions, config: {}, replyTo }))
const deleteTopic = (broker: ActorRef<BrokerMessage>, name: string) => broker.ask((replyTo) => ({ _tag: 'DeleteTopic', name, replyTo }))
const listTopics = (broker: ActorRef<BrokerMessage>) => broker.ask((replyTo) => ({ _tag: 'ListTopics', replyTo }))
const grow = (broker: ActorRef<BrokerMessage>, name: string, totalCount: number) =>
  broker.ask((replyTo) => ({ _tag: 'CreatePartitions', name, totalCount, replyTo }))
const emfile = (): NodeJS.ErrnoException => Object.assign(new Error('EMFILE: too many open files, open'), { code: 'EMFILE' })

describe('the partition count bound', () => {
  it('refuses more than maxPartitionsPerTopic at once, naming the limit, for a topic and for growth', async () => {
    const dataDir = freshDir()
    const { broker } = boot(dataDir, { maxPartitionsPerTopic: 8 })
    const error = await settled(createTopic(broker, 'huge', 1e9))
    expect(error).toBeInstanceOf(TooManyPartitionsError)
    expect(error).toMatchObject({ topic: 'huge', partitions: 1e9, maxPartitionsPerTopic: 8 })
    expect((error as Error).message).toContain('maxPartitionsPerTopic')
    await createTopic(broker, 'orders', 8)
    expect(await settled(grow(broker, 'orders', 9))).toBeInstanceOf(TooManyPartitionsError)
    expect(readdirSync(dataDir).filter((name) => name.startsWith('huge'))).toEqual([])
  })

  it('creates a topic of several chunks of partitions without starving the event loop', async () => {
    const dataDir = freshDir()
    const { broker } = boot(dataDir)
    await listTopics(broker)
    let ticks = 0
    const ticker = setInterval(() => ticks++, 0)
    const create = broker.ask((replyTo) => ({ _tag: 'CreateTopic', name: 'wide', partitions: 130, config: {}, replyTo }), { timeoutMs: 60_000 })
    const topic = await create.finally(() => clearInterval(ticker))
    expect(topic.partitionCount).toBe(130)
    // Chunks of 64 yield between them: timers ran while the partitions were being opened.
    expect(ticks).toBeGreaterThan(0)
  })
})

describe('a topic is created whole or not at all', () => {
  it('when a partition cannot open its log: fails with the cause, closes and removes the others, registers nothing', async () => {
    const dataDir = freshDir()
    const opened: Log[] = []
    const openLog = async (dir: string, config: LogConfigInput, options: LogOptions): Promise<Log> => {
      if (dir === partitionLogDir(dataDir, 'orders', 5)) throw emfile()
      const log = await Log.open(dir, config, options)
      opened.push(log)
      return log
    }
    const { broker } = boot(dataDir, {}, { openLog })
    await listTopics(broker)
    const error = await settled(createTopic(broker, 'orders', 100))
    expect(error).toBeInstanceOf(TopicCreationFailedError)
    expect(error).toMatchObject({ topic: 'orders', partition: 5, code: 'EMFILE' })
    expect(await listTopics(broker)).toEqual([])
    expect(readTopicRegistry(dataDir)?.topics.map((topic) => topic.name)).toEqual(['__consumer_offsets'])
    expect(readdirSync(dataDir).filter((name) => name.startsWith('orders'))).toEqual([])
    // Every log opened for the attempt was closed again: appending to one fails.
    expect(opened.filter((log) => log.dir.includes('orders')).length).toBeGreaterThan(0)
    for (const log of opened.filter((log) => log.dir.includes('orders'))) await expect(log.append(batchOf(['x']))).rejects.toThrow()
  })

  it('when growing: the new partitions are rolled back, the old ones keep working', async () => {
    const dataDir = freshDir()
    let failAt: string | undefined
    const openLog = (dir: string, config: LogConfigInput, options: LogOptions): Promise<Log> =>
      dir === failAt ? Promise.reject(emfile()) : Log.open(dir, config, options)
    const { broker, partition } = boot(dataDir, {}, { openLog })
    const topic = await createTopic(broker, 'orders', 2)
    failAt = partitionLogDir(dataDir, 'orders', 3)
    expect(await settled(grow(broker, 'orders', 4))).toBeInstanceOf(TopicCreationFailedError)
    expect(readTopicRegistry(dataDir)?.topics.find((t) => t.name === 'orders')?.partitions).toBe(2)
    expect(existsSync(partitionLogDir(dataDir, 'orders', 2))).toBe(false)
    expect((await produce(partition(topic, 1), batchOf(['still']))).baseOffset).toBe(0n)
    failAt = undefined
    expect((await grow(broker, 'orders', 4)).partitionCount).toBe(4)
  })
})

describe('directories that hold records are never removed to make room', () => {
  it('refuses to create a topic over a directory holding records of a topic the broker does not know', async () => {
    const dataDir = freshDir()
    const first = boot(dataDir)
    await listTopics(first.broker)
    await first.system.shutdown()
    const stray = partitionLogDir(dataDir, 'orders', 1)
    const log = await Log.open(stray, { flush: 'os' })
    await log.append(batchOf(['precious']))
    await log.close()
    const { broker, logger } = boot(dataDir)
    await listTopics(broker)
    expect(logger.lines.map((line) => line.message)).toContainEqual(expect.stringContaining('holds records of no known topic'))
    const error = await settled(createTopic(broker, 'orders', 2))
    expect(error).toBeInstanceOf(StrayPartitionDirectoryError)
    expect(error).toMatchObject({ topic: 'orders', dir: stray })
    expect(readdirSync(stray).some((name) => name.endsWith('.log'))).toBe(true)
    expect(existsSync(partitionLogDir(dataDir, 'orders', 0))).toBe(false)
  })

  it('clears an empty leftover directory, and the leftover of a deleted topic', async () => {
    const dataDir = freshDir()
    mkdirSync(partitionLogDir(dataDir, 'orders', 0), { recursive: true })
    writeFileSync(join(partitionLogDir(dataDir, 'orders', 0), 'junk'), '')
    const { broker, partition } = boot(dataDir)
    const topic = await createTopic(broker, 'orders', 1)
    expect(readdirSync(partitionLogDir(dataDir, 'orders', 0))).not.toContain('junk')
    await produce(partition(topic, 0), batchOf(['old']))
    await deleteTopic(broker, 'orders')
    const again = await createTopic(broker, 'orders', 1)
    expect(recordsIn((await fetchFrom(partition(again, 0), 0n)).records)).toEqual([])
  })
})

describe('a deletion a crash interrupted', () => {
  it('after the registry dropped the topic but before its directories went: they are removed at the next start', async () => {
    const dataDir = freshDir()
    const first = boot(dataDir)
    const topic = await createTopic(first.broker, 'orders', 2)
    await produce(first.partition(topic, 0), batchOf(['deleted']))
    await first.system.shutdown()
    // What deleteTopic persists first: the registry without the topic, with its id as a tombstone.
    const registry = readTopicRegistry(dataDir)
    const orders = registry?.topics.find((t) => t.name === 'orders')
    writeTopicRegistry(dataDir, registry?.topics.filter((t) => t !== orders) ?? [], [orders?.topicId as string])
    const second = boot(dataDir)
    expect(await listTopics(second.broker)).toEqual([])
    expect(existsSync(partitionLogDir(dataDir, 'orders', 0))).toBe(false)
    expect(readTopicRegistry(dataDir)?.deletedTopicIds).toEqual([])
    const again = await createTopic(second.broker, 'orders', 1)
    expect(recordsIn((await fetchFrom(second.partition(again, 0), 0n)).records)).toEqual([])
  })

  it('after a directory was marked -delete: the mark is removed at the next start', async () => {
    const dataDir = freshDir()
    const first = boot(dataDir)
    await createTopic(first.broker, 'keep', 1)
    await first.system.shutdown()
    const marked = `${partitionLogDir(dataDir, 'gone', 0)}.0f0f-delete`
    mkdirSync(marked)
    writeFileSync(join(marked, '00000000000000000000.log'), 'bytes')
    const second = boot(dataDir)
    expect(await listTopics(second.broker)).toEqual(['keep'])
    expect(existsSync(marked)).toBe(false)
    expect(second.logger.lines.map((line) => line.message)).toContainEqual(expect.stringContaining('deletion left behind'))
  })
})
