import { RecordBatchTooLargeError, readBatchHeader } from '@rivulet/storage'
import { Schema } from 'effect'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { AskTimeoutError } from '../actor/errors.js'
import { ClosedError, UnknownPartitionError, UnknownTopicError } from '../errors.js'
import { SerializationError } from '../serde/errors.js'
import { Serde } from '../serde/serde.js'
import { Admin } from './admin.js'
import { InvalidClientOptionError, InvalidProducerRecordError } from './errors.js'
import { keyedPartition } from '../partitioning/murmur2.js'
import { Producer } from './producer.js'
import {
  failingFirstAsks,
  losingFirstReplies,
  producedBatches,
  readPartition,
  type Recorded,
  recording,
  startTestCluster,
  type TestCluster,
} from './test-support/cluster.js'
import { topic } from './topic.js'
import { eventually } from '@rivulet/test-kit'

const clusters: TestCluster[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = async (partitions = 3, config = {}) => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  await new Admin(cluster.connection).createTopic('t', { partitions, config })
  return cluster
}

const onPartition = (n: number) => (path: string) => path.endsWith(`.t.${n}`)
const values = async (cluster: TestCluster, partition: number) => (await readPartition(cluster.connection, 't', partition)).map((r) => r.value)

describe('Producer.send', () => {
  it('sends one record or an array, resolving to where each landed', async () => {
    const cluster = await setup()
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    const one = await producer.send('t', { key: 'user-1', value: 'hello', headers: { source: 'test' }, timestamp: 1234 })
    expect(one).toEqual({ topic: 't', partition: keyedPartition(Buffer.from('user-1'), 3), offset: 0n, timestamp: 1234 })
    const many = await producer.send('t', [
      { key: 'user-1', value: 'a' },
      { value: 'b', partition: 2 },
      { key: 'user-1', value: Buffer.from('c') },
    ])
    expect(many.map((m) => [m.partition, m.offset])).toEqual([
      [one.partition, 1n],
      [2, one.partition === 2 ? 2n : 0n],
      [one.partition, one.partition === 2 ? 3n : 2n],
    ])
    const stored = await readPartition(cluster.connection, 't', one.partition)
    expect(stored[0]).toMatchObject({ key: 'user-1', value: 'hello', headers: [{ key: 'source', value: 'test' }], timestamp: 1234 })
    expect(stored.filter((r) => r.key === 'user-1').map((r) => r.value)).toEqual(['hello', 'a', 'c'])
    await producer.close()
  })

  it('keeps the order of sends made before the topic’s partitions are known', async () => {
    const cluster = await setup(1)
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    const sends = [producer.send('t', { value: 'a' }), producer.send('t', [{ value: 'b' }, { value: 'c' }]), producer.send('t', { value: 'd' })]
    expect((await Promise.all(sends)).flat().map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n])
    expect(await values(cluster, 0)).toEqual(['a', 'b', 'c', 'd'])
  })

  it('serializes each record once, also on the first send to a topic whose partitions are not known yet', async () => {
    const cluster = await setup(2)
    const calls = { key: 0, value: 0 }
    const counting = (target: 'key' | 'value') => ({
      ...Serde.string,
      serialize: (text: string | null, context: Parameters<typeof Serde.string.serialize>[1]) => {
        calls[target]++
        return Serde.string.serialize(text, context)
      },
    })
    const counted = topic('t', { key: counting('key'), value: counting('value') })
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    const first = producer.send(counted, [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ])
    const second = producer.send(counted, { key: 'c', value: '3' })
    await Promise.all([first, second])
    await producer.send(counted, { key: 'd', value: '4' })
    expect(calls).toEqual({ key: 4, value: 4 })
    expect([...(await values(cluster, 0)), ...(await values(cluster, 1))].sort()).toEqual(['1', '2', '3', '4'])
    await producer.close()
  })

  it('makes one batch per partition of many concurrent sends', async () => {
    const cluster = await setup(2)
    const messages: Recorded[] = []
    cluster.wrapPartition(() => true, recording(messages))
    const producer = new Producer(cluster.connection, { lingerMs: 20 })
    await producer.send('t', { value: 'warm-up', partition: 0 })
    messages.length = 0
    const sends = Array.from({ length: 200 }, (_, i) => producer.send('t', { value: `v${i}`, partition: i % 2 }))
    const results = await Promise.all(sends)
    expect([producedBatches(messages, 0).length, producedBatches(messages, 1).length]).toEqual([1, 1])
    expect(results.filter((r) => r.partition === 1).map((r) => Number(r.offset))).toEqual(Array.from({ length: 100 }, (_, i) => i))
    await producer.close()
  })

  it('numbers idempotent batches per partition: one producer id, sequences advancing by record count', async () => {
    const cluster = await setup(2)
    const messages: Recorded[] = []
    cluster.wrapPartition(() => true, recording(messages))
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    await producer.send('t', [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }])
    await producer.send('t', [{ value: 'd', partition: 0 }, { value: 'e', partition: 1 }, { value: 'f', partition: 1 }])
    await producer.send('t', { value: 'g', partition: 0 })
    const sequences = (n: number) => producedBatches(messages, n).map((batch) => readBatchHeader(batch)).map((h) => [h.baseSequence, h.recordCount])
    expect(sequences(0)).toEqual([[0, 2], [2, 1], [3, 1]])
    expect(sequences(1)).toEqual([[0, 1], [1, 2]])
    const headers = [...producedBatches(messages, 0), ...producedBatches(messages, 1)].map((batch) => readBatchHeader(batch))
    expect(new Set(headers.map((h) => h.producerId)).size).toBe(1)
    expect(headers[0].producerId).toBeGreaterThanOrEqual(0n)
    expect(headers.every((h) => h.producerEpoch === 0)).toBe(true)
    expect(producer.stats.producerIdRequests).toBe(1)
    await producer.close()
  })

  it('sends plain batches when not idempotent', async () => {
    const cluster = await setup(1)
    const messages: Recorded[] = []
    cluster.wrapPartition(() => true, recording(messages))
    const producer = new Producer(cluster.connection, { lingerMs: 0, acks: 1 })
    await producer.send('t', { value: 'a' })
    expect(readBatchHeader(producedBatches(messages, 0)[0])).toMatchObject({ producerId: -1n, producerEpoch: -1, baseSequence: -1 })
    expect(producer.stats.producerIdRequests).toBe(0)
  })
})

describe('Producer retries', () => {
  it('retries a batch after a transient failure, without duplicating it', async () => {
    const cluster = await setup(1)
    cluster.wrapPartition(onPartition(0), failingFirstAsks(1, () => new AskTimeoutError({ path: 'p', messageTag: 'Produce', timeoutMs: 1 })))
    const producer = new Producer(cluster.connection, { lingerMs: 0, retryBackoffMs: 1 })
    const results = await producer.send('t', [{ value: 'a' }, { value: 'b' }])
    expect(results.map((r) => r.offset)).toEqual([0n, 1n])
    expect(producer.stats.retries).toBe(1)
    expect(await values(cluster, 0)).toEqual(['a', 'b'])
  })

  it('gets the original offsets back when the partition had appended a batch whose answer was lost', async () => {
    const cluster = await setup(1)
    cluster.wrapPartition(onPartition(0), losingFirstReplies(1))
    const producer = new Producer(cluster.connection, { lingerMs: 0, retryBackoffMs: 1 })
    const results = await producer.send('t', [{ value: 'a' }, { value: 'b' }])
    expect(results.map((r) => r.offset)).toEqual([0n, 1n])
    expect(producer.stats.retries).toBe(1)
    expect(await values(cluster, 0)).toEqual(['a', 'b'])
    expect((await producer.send('t', { value: 'c' })).offset).toBe(2n)
  })

  it('keeps the order of a partition while a batch is retried', async () => {
    const cluster = await setup(1)
    cluster.wrapPartition(onPartition(0), losingFirstReplies(2))
    const producer = new Producer(cluster.connection, { lingerMs: 0, retryBackoffMs: 5 })
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < 6; i++) {
      sends.push(producer.send('t', { value: `v${i}` }))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(sends)
    expect(await values(cluster, 0)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
  })

  it('gives up after the configured retries with the last failure', async () => {
    const cluster = await setup(1)
    cluster.wrapPartition(onPartition(0), failingFirstAsks(100, () => new AskTimeoutError({ path: 'p', messageTag: 'Produce', timeoutMs: 1 })))
    const producer = new Producer(cluster.connection, { lingerMs: 0, retries: 2, retryBackoffMs: 1, retryBackoffMaxMs: 2 })
    await expect(producer.send('t', { value: 'a' })).rejects.toBeInstanceOf(AskTimeoutError)
    expect(producer.stats.retries).toBe(2)
  })

  it('does not retry a refused batch, and carries on under a new producer id', async () => {
    const cluster = await setup(1, { maxBatchBytes: 1024 })
    const producer = new Producer(cluster.connection, { lingerMs: 0, retryBackoffMs: 1 })
    await expect(producer.send('t', { value: 'x'.repeat(2000) })).rejects.toBeInstanceOf(RecordBatchTooLargeError)
    expect(producer.stats.retries).toBe(0)
    expect((await producer.send('t', { value: 'small' })).offset).toBe(0n)
    expect(producer.stats.producerIdRequests).toBe(2)
  })
})

describe('Producer options and refusals', () => {
  it('with acks 0 resolves at once with offset -1 and the records still land', async () => {
    const cluster = await setup(1)
    const producer = new Producer(cluster.connection, { lingerMs: 0, acks: 0 })
    const result = await producer.send('t', [{ value: 'a' }, { value: 'b' }])
    expect(result.map((r) => r.offset)).toEqual([-1n, -1n])
    await eventually(async () => (await values(cluster, 0)).length >= 2, { what: 'the acks-0 records in the log', timeoutMs: 10_000 })
    expect(await values(cluster, 0)).toEqual(['a', 'b'])
  })

  it('refuses a value its schema refuses, naming the field, and sends nothing of the call', async () => {
    const cluster = await setup(1)
    const Order = Schema.Struct({ id: Schema.String, amount: Schema.Number })
    const orders = topic('t', { key: Serde.string, value: Serde.schema(Order) })
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    const refused = producer.send(orders, [
      { key: 'a', value: { id: 'o1', amount: 1 } },
      { key: 'b', value: { id: 'o2', amount: 'lots' as unknown as number } },
    ])
    await expect(refused).rejects.toBeInstanceOf(SerializationError)
    await expect(refused).rejects.toMatchObject({ target: 'value', path: 'amount' })
    await producer.send(orders, { key: 'c', value: { id: 'o3', amount: 3 } })
    expect(await values(cluster, 0)).toEqual(['{"id":"o3","amount":3}'])
  })

  it('refuses bad records, unknown partitions and unknown topics', async () => {
    const cluster = await setup(2)
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    await expect(producer.send('t', { value: 'a', timestamp: -5 })).rejects.toBeInstanceOf(InvalidProducerRecordError)
    await expect(producer.send('t', { value: 'a', partition: 1.5 })).rejects.toBeInstanceOf(InvalidProducerRecordError)
    await expect(producer.send('t', 42 as never)).rejects.toBeInstanceOf(InvalidProducerRecordError)
    await expect(producer.send('t', { value: 'a', headers: [{ key: 1 as never, value: 'x' }] })).rejects.toBeInstanceOf(InvalidProducerRecordError)
    await expect(producer.send('t', { value: 7 as never })).rejects.toBeInstanceOf(SerializationError)
    await expect(producer.send(topic('t', { value: Serde.bytes }), { value: 'text' as never })).rejects.toThrow(/returned string, not bytes/)
    await expect(producer.send('t', [{ value: 'ok' }, { value: 'a', partition: 2 }])).rejects.toBeInstanceOf(UnknownPartitionError)
    await expect(producer.send('missing', { value: 'a' })).rejects.toBeInstanceOf(UnknownTopicError)
    expect((await values(cluster, 0)).length + (await values(cluster, 1)).length).toBe(0)
  })

  it('finds partitions added after it last asked', async () => {
    const cluster = await setup(2)
    const producer = new Producer(cluster.connection, { lingerMs: 0 })
    await producer.send('t', { value: 'a' })
    await new Admin(cluster.connection).createPartitions('t', 4)
    expect((await producer.send('t', { value: 'b', partition: 3 })).partition).toBe(3)
  })

  it('refreshes metadata older than metadataMaxAgeMs, so keys spread over new partitions', async () => {
    const cluster = await setup(2)
    // The metadata's age is measured on Date: a virtual one, moved by the test.
    vi.useFakeTimers({ toFake: ['Date'] })
    const producer = new Producer(cluster.connection, { lingerMs: 0, metadataMaxAgeMs: 1 })
    const key = Array.from({ length: 100 }, (_, i) => `key-${i}`).find((k) => keyedPartition(Buffer.from(k), 4) >= 2)!
    expect((await producer.send('t', { key, value: 'a' })).partition).toBe(keyedPartition(Buffer.from(key), 2))
    await new Admin(cluster.connection).createPartitions('t', 4)
    vi.setSystemTime(Date.now() + 5)
    const lookupsBefore = cluster.metadataLookups.length
    // This send starts the refresh in the background and goes where the old metadata says.
    expect((await producer.send('t', { key, value: 'b' })).partition).toBe(keyedPartition(Buffer.from(key), 2))
    const refreshed = () => cluster.metadataLookups.slice(lookupsBefore).some((lookup) => lookup.topic === 't' && lookup.outcome === 'found')
    await eventually(refreshed, { what: 'the background metadata refresh', timeoutMs: 10_000 })
    expect((await producer.send('t', { key, value: 'c' })).partition).toBe(keyedPartition(Buffer.from(key), 4))
  })

  it('refuses bad options, naming the option', () => {
    const cluster = startTestCluster()
    clusters.push(cluster)
    const make = (options: object) => () => new Producer(cluster.connection, options as never)
    expect(make({ lingerMs: -1 })).toThrow(InvalidClientOptionError)
    expect(make({ lingerMs: -1 })).toThrow(/invalid producer option lingerMs=-1/)
    expect(make({ acks: 2 })).toThrow(/acks=2/)
    expect(make({ batchSize: 10 })).toThrow(/unknown option/)
    expect(make({ acks: 1, idempotent: true })).toThrow(/needs acks 'all'/)
    expect(make({ partitioner: 'murmur' })).toThrow(/partitioner/)
    const defaults = new Producer(cluster.connection).options
    expect(defaults).toMatchObject({ acks: 'all', idempotent: true, lingerMs: 1, batchBytes: 256 * 1024, compression: 'none' })
    expect(new Producer(cluster.connection, { acks: 1 }).options.idempotent).toBe(false)
  })
})

describe('Producer.close', () => {
  it('flushes what is pending, then refuses sends; a second close is harmless', async () => {
    const cluster = await setup(1)
    const producer = new Producer(cluster.connection, { lingerMs: 60_000 })
    const pending = producer.send('t', [{ value: 'a' }, { value: 'b' }])
    await producer.close()
    expect((await pending).map((r) => r.offset)).toEqual([0n, 1n])
    await expect(producer.send('t', { value: 'c' })).rejects.toBeInstanceOf(ClosedError)
    await producer.close()
    expect(await values(cluster, 0)).toEqual(['a', 'b'])
  })

  it('compresses with gzip when asked', async () => {
    const cluster = await setup(1)
    const messages: Recorded[] = []
    cluster.wrapPartition(() => true, recording(messages))
    const producer = new Producer(cluster.connection, { lingerMs: 0, compression: 'gzip' })
    await producer.send('t', [{ value: 'x'.repeat(500) }, { value: 'y'.repeat(500) }])
    const batch = producedBatches(messages, 0)[0]
    expect(readBatchHeader(batch).compression).toBe('gzip')
    expect(batch.length).toBeLessThan(200)
    expect(await values(cluster, 0)).toEqual(['x'.repeat(500), 'y'.repeat(500)])
  })
})
