// End-to-end: producing on untyped topics — send and its metadata, partitioning as KafkaJS's
// DefaultPartitioner, batching of concurrent sends, settings and refusals, the produce() operator.
import { createRequire } from 'node:module'
import { produce, type RecordMetadata } from '@rivulet/core'
import { from, lastValueFrom, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { batchesOnDisk, cleanup, embedded, readRecords, tempDataDir } from './support.js'
import { rejectionOf } from '@rivulet/test-kit'

afterEach(cleanup)

interface KafkaJsPartitioner {
  (args: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key: string | Buffer } }): number
}
const kafkajs = createRequire(import.meta.url)('kafkajs') as { Partitioners: { DefaultPartitioner: () => KafkaJsPartitioner } }

describe('producer.send', () => {
  it('resolves one record to its metadata and an array to theirs, in order', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('t', { partitions: 2 })
    const producer = rv.producer()
    const before = Date.now()
    const one = await producer.send('t', { value: 'first', partition: 1 })
    expect(one.topic).toBe('t')
    expect(one.partition).toBe(1)
    expect(one.offset).toBe(0n)
    expect(one.timestamp).toBeGreaterThanOrEqual(before)
    expect(one.timestamp).toBeLessThanOrEqual(Date.now())

    const many = await producer.send('t', [
      { value: 'a', partition: 1, timestamp: 1_000 },
      { value: 'b', partition: 0, timestamp: 2_000 },
      { value: 'c', partition: 1, timestamp: 3_000 },
    ])
    expect(many).toEqual([
      { topic: 't', partition: 1, offset: 1n, timestamp: 1_000 },
      { topic: 't', partition: 0, offset: 0n, timestamp: 2_000 },
      { topic: 't', partition: 1, offset: 2n, timestamp: 3_000 },
    ])
    const stored = await readRecords(rv, 't', 4)
    const byPlace = stored.map((r) => [r.partition, r.offset, r.value?.toString(), r.timestamp])
    expect(byPlace.filter(([p]) => p === 1)).toEqual([
      [1, 0n, 'first', one.timestamp],
      [1, 1n, 'a', 1_000],
      [1, 2n, 'c', 3_000],
    ])
    expect(byPlace.filter(([p]) => p === 0)).toEqual([[0, 0n, 'b', 2_000]])
  })

  it('puts a keyed record on the partition KafkaJS’s DefaultPartitioner picks', async () => {
    const rv = await embedded()
    const partitionCount = 7
    await rv.admin.createTopic('keyed', { partitions: partitionCount })
    const oracle = kafkajs.Partitioners.DefaultPartitioner()
    const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({ partitionId, leader: 0 }))
    const keys = [...Array.from({ length: 200 }, (_, i) => `user-${i}`), '', 'ü-ß-€-😀', 'x'.repeat(1000), 'abc', 'abcd', 'abcde']
    const sent = await rv.producer().send(
      'keyed',
      keys.map((key) => ({ key, value: key })),
    )
    const expected = keys.map((key) => oracle({ topic: 'keyed', partitionMetadata, message: { key } }))
    expect(sent.map((m) => m.partition)).toEqual(expected)
    expect(new Set(expected).size).toBe(partitionCount)

    // Buffer keys hash by their bytes, as in KafkaJS.
    const binary = Buffer.from([0xff, 0x00, 0x80, 0x7f, 0x01])
    const binarySent = await rv.producer().send('keyed', { key: binary, value: 'b' })
    expect(binarySent.partition).toBe(oracle({ topic: 'keyed', partitionMetadata, message: { key: binary } }))
  })

  it('spreads records without a key over the partitions, batch by batch', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('spread', { partitions: 4 })
    const producer = rv.producer()
    const partitions: number[] = []
    for (let i = 0; i < 40; i++) partitions.push((await producer.send('spread', { value: `v${i}` })).partition)
    // Sticky partitioning: each new batch moves to another partition.
    expect(new Set(partitions)).toEqual(new Set([0, 1, 2, 3]))
    for (let i = 1; i < partitions.length; i++) expect(partitions[i]).not.toBe(partitions[i - 1])
    // One batch's records stay together.
    const together = await producer.send('spread', Array.from({ length: 50 }, (_, i) => ({ value: `w${i}` })))
    expect(new Set(together.map((m) => m.partition)).size).toBe(1)
  })

  it('gathers many concurrent sends into a few batches', async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('burst', { partitions: 1 })
    const producer = rv.producer({ lingerMs: 5 })
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => producer.send('burst', { value: `v${i}` })))
    expect(results.map((m) => m.offset)).toEqual(results.map((_, i) => BigInt(i)))
    const onDisk = batchesOnDisk(dataDir, 'burst', 0)
    expect(onDisk.reduce((n, batch) => n + batch.recordCount, 0)).toBe(1000)
    expect(onDisk.length).toBe(producer.stats.batchesSent)
    expect(onDisk.length).toBeLessThanOrEqual(5)

    // Sends awaited one by one cannot share a batch: the counter sees the difference.
    const sequential = rv.producer({ lingerMs: 0 })
    for (let i = 0; i < 10; i++) await sequential.send('burst', { value: `s${i}` })
    expect(sequential.stats.batchesSent).toBe(10)
    expect(batchesOnDisk(dataDir, 'burst', 0).length).toBe(onDisk.length + 10)
  })
})

describe('producer settings and refusals', () => {
  it('round-trips gzip batches, and answers acks 1 with offsets and acks 0 with -1', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('z', { partitions: 1 })
    const gzip = await rv.producer({ compression: 'gzip' }).send('z', [{ value: 'g'.repeat(5000) }, { value: 'h' }])
    expect(gzip.map((m) => m.offset)).toEqual([0n, 1n])
    expect((await rv.producer({ acks: 1 }).send('z', { value: 'one' })).offset).toBe(2n)
    const fireAndForget = rv.producer({ acks: 0 })
    expect((await fireAndForget.send('z', { value: 'zero' })).offset).toBe(-1n)
    await fireAndForget.flush()
    const records = await readRecords(rv, 'z', 4)
    expect(records.map((r) => [r.offset, r.value?.toString().slice(0, 3), r.value?.length])).toEqual([
      [0n, 'ggg', 5000],
      [1n, 'h', 1],
      [2n, 'one', 3],
      [3n, 'zer', 4],
    ])
    expect((await rv.admin.describeTopic('z')).partitions[0].sizeBytes).toBeLessThan(1000) // 5000 g's, gzipped
  })

  it('refuses records it cannot send, naming why, and goes on with the next ones', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('r', { partitions: 2 })
    const producer = rv.producer()
    const noSuchPartition = await rejectionOf(producer.send('r', { value: 'v', partition: 2 }))
    expect(noSuchPartition).toMatchObject({ _tag: 'UnknownPartitionError', topic: 'r', partition: 2, partitionCount: 2 })
    const badTimestamp = await rejectionOf(producer.send('r', [{ value: 'ok' }, { value: 'v', timestamp: -5 }]))
    expect(badTimestamp).toMatchObject({ _tag: 'InvalidProducerRecordError', index: 1 })
    expect(badTimestamp.message).toContain('timestamp -5')
    const tooLarge = await rejectionOf(producer.send('r', { value: Buffer.alloc(1_100_000), partition: 0 }))
    expect(tooLarge._tag).toBe('RecordBatchTooLargeError')
    expect(tooLarge.message).toContain('maxBatchBytes 1048576')
    expect((await rv.admin.describeTopic('r')).partitions.map((p) => p.logEndOffset)).toEqual([0n, 0n])
    expect((await producer.send('r', { value: 'after', partition: 0 })).offset).toBe(0n)
  })
})

describe('the produce() operator', () => {
  it('emits metadata in send order within each partition, and the partitions hold that order', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('ops', { partitions: 3 })
    const producer = rv.producer({ batchBytes: 1024 })
    const records = Array.from({ length: 900 }, (_, i) => ({ key: `k${i % 13}`, value: `v${i}` }))
    const metadata: RecordMetadata[] = await lastValueFrom(from(records).pipe(produce(producer, 'ops'), toArray()))
    expect(metadata).toHaveLength(900)
    expect(producer.stats.batchesSent).toBeGreaterThan(3) // several batches per partition, in flight in turn

    const consumed = await readRecords(rv, 'ops', 900)
    for (let partition = 0; partition < 3; partition++) {
      const emitted = metadata.filter((m) => m.partition === partition).map((m) => m.offset)
      expect(emitted).toEqual(emitted.map((_, i) => BigInt(i)))
      // A key always lands on one partition, so the partition holds its keys' records in send order.
      const stored = consumed.filter((r) => r.partition === partition)
      const keysHere = new Set(stored.map((r) => r.key?.toString()))
      expect(stored.map((r) => r.value?.toString())).toEqual(records.filter((r) => keysHere.has(r.key)).map((r) => r.value))
      expect(stored).toHaveLength(emitted.length)
    }
  })
})
