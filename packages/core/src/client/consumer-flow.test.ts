import { Schema } from 'effect'
import { concatMap, defer, firstValueFrom, lastValueFrom, map, take, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { DeserializationError } from '../serde/errors.js'
import { Serde } from '../serde/serde.js'
import { Admin } from './admin.js'
import { Consumer } from './consumer.js'
import type { DeadLetter, DeadLetterSink } from './dead-letter-sink.js'
import { InvalidClientOptionError, NotAConsumerRecordError, PartitionOffsetOutOfRangeError, RecordDecodeError } from './errors.js'
import { processed } from './operators/processed.js'
import { Producer } from './producer.js'
import { producerDeadLetters } from './producer-dead-letters.js'
import type { ConsumerRecord } from './records.js'
import { parkedFetch, readPartition, startTestCluster, type TestCluster, type TrackedFetch, trackingFetches } from './test-support/cluster.js'
import { topic } from './topic.js'

const clusters: TestCluster[] = []
const consumers: Consumer[] = []
afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.close()
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = async (partitions = 1, config = {}) => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  const fetches: TrackedFetch[] = []
  cluster.wrapPartition(() => true, trackingFetches(fetches))
  const admin = new Admin(cluster.connection)
  await admin.createTopic('t', { partitions, config })
  const producer = new Producer(cluster.connection, { lingerMs: 0 })
  const consumer = (options = {}, deadLetters: DeadLetterSink = producerDeadLetters(cluster.connection)) => {
    const made = new Consumer(cluster.connection, { fetchMaxWaitMs: 50, ...options }, deadLetters)
    consumers.push(made)
    return made
  }
  return { cluster, admin, producer, consumer, fetches }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Consumer backpressure', () => {
  const fill = async (producer: Producer) => {
    const value = 'x'.repeat(1000)
    // 20 sends of 10 records per partition: batches of about 10 KB.
    for (let i = 0; i < 20; i++) {
      await producer.send('t', [0, 1].flatMap((partition) => Array.from({ length: 10 }, (_, j) => ({ value: `${i * 10 + j}:${value}`, partition }))))
    }
  }
  const options = { maxBufferedBytes: 32 * 1024, fetchMaxBytes: 16 * 1024 }
  const slowly = (record: ConsumerRecord) => defer(() => nextTurn()).pipe(map(() => record))

  it('with processed() after slow work, never holds much more than maxBufferedBytes', async () => {
    const { producer, consumer } = await setup(2)
    await fill(producer)
    const c = consumer(options)
    let worked = 0
    let maxLag = 0
    const done = await lastValueFrom(
      c.subscribe('t', { from: 'earliest' }).pipe(
        concatMap((record) => {
          maxLag = Math.max(maxLag, c.stats.records - worked++)
          return slowly(record)
        }),
        processed(),
        take(400),
        toArray(),
      ),
    )
    expect(done.length).toBe(400)
    for (const partition of [0, 1]) {
      const offsets = done.filter((r) => r.partition === partition).map((r) => r.offset)
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)))
    }
    // One fetch per partition may land just after the budget was crossed; a batch is ~10 KB.
    const bound = options.maxBufferedBytes + 2 * (options.fetchMaxBytes + 11 * 1024)
    expect(c.stats.peakBufferedBytes).toBeLessThanOrEqual(bound)
    // Records of ~1 KB: the consumer never ran more than the bound's worth ahead of the work.
    expect(maxLag).toBeLessThanOrEqual(bound / 1000)
  })

  it('without an acknowledging operator, counts records as taken when emitted (and so runs ahead)', async () => {
    const { producer, consumer } = await setup(2)
    await fill(producer)
    const c = consumer(options)
    let worked = 0
    let maxLag = 0
    const work = (record: ConsumerRecord) => {
      maxLag = Math.max(maxLag, c.stats.records - worked++)
      return slowly(record)
    }
    const done = await lastValueFrom(c.subscribe('t', { from: 'earliest' }).pipe(concatMap(work), take(400), toArray()))
    expect(done.length).toBe(400)
    expect(maxLag).toBeGreaterThan(300)
    expect(c.stats.peakBufferedBytes).toBeLessThanOrEqual(options.maxBufferedBytes + 2 * (options.fetchMaxBytes + 11 * 1024))
  })

  it('the iterator holds at most the budget ahead of the loop', async () => {
    const { producer, consumer } = await setup(2)
    await fill(producer)
    const c = consumer(options)
    let seen = 0
    for await (const record of c.iterate('t', { from: 'earliest' })) {
      expect(record.value?.length).toBeGreaterThan(1000)
      await nextTurn()
      if (++seen === 400) break
    }
    expect(c.stats.peakBufferedBytes).toBeLessThanOrEqual(options.maxBufferedBytes + 2 * (options.fetchMaxBytes + 11 * 1024))
    expect(c.stats.bufferedBytes).toBe(0)
  })

  it('processed() refuses a value that is not a record unless told which record it stands for', async () => {
    const { producer, consumer } = await setup()
    await producer.send('t', [{ value: 'a' }, { value: 'b' }])
    const c = consumer()
    const wrapped = c.subscribe('t', { from: 'earliest' }).pipe(map((record) => ({ record })))
    await expect(firstValueFrom(wrapped.pipe(processed()))).rejects.toBeInstanceOf(NotAConsumerRecordError)
    const values = await firstValueFrom(
      c.subscribe('t', { from: 'earliest' }).pipe(
        map((record) => ({ record })),
        processed((item) => item.record),
        take(2),
        toArray(),
      ),
    )
    expect(values.map((item) => item.record.value?.toString())).toEqual(['a', 'b'])
  })
})

describe('Consumer: autoOffsetReset', () => {
  const withDeletedStart = async () => {
    const context = await setup(1, { segmentBytes: 150, retentionBytes: 1 })
    for (let i = 0; i < 6; i++) await context.producer.send('t', { value: `v${i}` })
    const metadata = await context.admin.metadata('t')
    const leader = context.cluster.connection.partition(metadata.partitionLeaders[0])
    await leader.ask((replyTo): PartitionMessage => ({ _tag: 'Maintain', replyTo }))
    const [description] = (await context.admin.describeTopic('t')).partitions
    expect(description.logStartOffset).toBeGreaterThan(0n)
    return { ...context, logStartOffset: description.logStartOffset }
  }

  it("'earliest' moves a deleted position to the log start", async () => {
    const { consumer, logStartOffset } = await withDeletedStart()
    const first = await firstValueFrom(consumer({ autoOffsetReset: 'earliest' }).subscribe('t', { from: { offset: 0 } }))
    expect(first.offset).toBe(logStartOffset)
  })

  it("'latest' moves it to the end", async () => {
    const { cluster, consumer, producer, fetches } = await withDeletedStart()
    const first = firstValueFrom(consumer({ autoOffsetReset: 'latest' }).subscribe('t', { from: { offset: 0 } }))
    // Offset 0 is refused, the position moves to the log end (6), and the fetch there waits.
    await parkedFetch(cluster.connection, fetches, { offset: 6n })
    await producer.send('t', { value: 'new' })
    expect((await first).value?.toString()).toBe('new')
  })

  it("'error' fails the Observable, naming the partition and the range", async () => {
    const { consumer, logStartOffset } = await withDeletedStart()
    const failure = firstValueFrom(consumer({ autoOffsetReset: 'error' }).subscribe('t', { from: { offset: 0 } }))
    await expect(failure).rejects.toBeInstanceOf(PartitionOffsetOutOfRangeError)
    await expect(failure).rejects.toMatchObject({ topic: 't', partition: 0, offset: 0n, logStartOffset })
  })

  it('also resets a position past the end of the log', async () => {
    const { consumer, producer } = await setup()
    await producer.send('t', [{ value: 'a' }, { value: 'b' }])
    const first = await firstValueFrom(consumer({ autoOffsetReset: 'earliest' }).subscribe('t', { from: { offset: 99 } }))
    expect(first.offset).toBe(0n)
  })
})

describe('Consumer: records that do not decode', () => {
  const Reading = Schema.Struct({ n: Schema.Number })
  const readings = topic('t', { key: Serde.string, value: Serde.schema(Reading) })
  const withBadRecord = async () => {
    const context = await setup()
    await context.producer.send('t', [
      { key: 'a', value: '{"n":1}' },
      { key: 'b', value: 'not json' },
      { key: 'c', value: '{"n":3}' },
    ])
    return context
  }

  it("'fail' errors the Observable with the record's place and the serde's error", async () => {
    const { consumer } = await withBadRecord()
    const seen: unknown[] = []
    const failure = lastValueFrom(consumer().subscribe(readings, { from: 'earliest' }).pipe(map((r) => seen.push(r.value))))
    await expect(failure).rejects.toBeInstanceOf(RecordDecodeError)
    await expect(failure).rejects.toMatchObject({ topic: 't', partition: 0, offset: 1n })
    const error = (await failure.catch((e: unknown) => e)) as RecordDecodeError
    expect(error.cause).toBeInstanceOf(DeserializationError)
    expect(seen).toEqual([{ n: 1 }])
  })

  it("'skip' logs the record through the logger and goes on", async () => {
    const { consumer } = await withBadRecord()
    const warnings: unknown[][] = []
    const logger = { warn: (message: string, fields?: object) => warnings.push([message, fields]) }
    const records = await firstValueFrom(consumer({ onDecodeError: 'skip', logger }).subscribe(readings, { from: 'earliest' }).pipe(take(2), toArray()))
    expect(records.map((r) => [r.key, r.value])).toEqual([
      ['a', { n: 1 }],
      ['c', { n: 3 }],
    ])
    expect(warnings).toHaveLength(1)
    expect(warnings[0][0]).toMatch(/record 1 of t-0/)
    expect(warnings[0][1]).toEqual({ topic: 't', partition: 0, offset: 1n })
  })

  it('a dead-letter topic gets the raw record, with headers saying what failed', async () => {
    const { consumer, cluster, admin } = await withBadRecord()
    await admin.createTopic('t.dlt', { partitions: 1 })
    const c = consumer({ onDecodeError: { deadLetterTopic: 't.dlt' }, logger: { warn: () => undefined } })
    const records = await firstValueFrom(c.subscribe(readings, { from: 'earliest' }).pipe(take(2), toArray()))
    expect(records.map((r) => r.value)).toEqual([{ n: 1 }, { n: 3 }])
    const [dead] = await readPartition(cluster.connection, 't.dlt', 0)
    expect(dead).toMatchObject({ key: 'b', value: 'not json' })
    const headers = Object.fromEntries(dead.headers.map((h) => [h.key, h.value]))
    expect(headers).toMatchObject({ 'rivulet.error.topic': 't', 'rivulet.error.partition': '0', 'rivulet.error.offset': '1', 'rivulet.error.target': 'value' })
    expect(headers['rivulet.error.message']).toMatch(/cannot deserialize the value/)
  })

  it('hands a dead letter to the sink it was given, and closes the sink with the consumer', async () => {
    const { consumer } = await withBadRecord()
    const sent: [string, DeadLetter][] = []
    let closed = 0
    const sink: DeadLetterSink = {
      send: async (topic, record) => void sent.push([topic, record]),
      close: async () => void closed++,
    }
    const c = consumer({ onDecodeError: { deadLetterTopic: 'elsewhere' }, logger: { warn: () => undefined } }, sink)
    await firstValueFrom(c.subscribe(readings, { from: 'earliest' }).pipe(take(2), toArray()))
    expect(sent.map(([topic, record]) => [topic, record.key?.toString(), record.value?.toString()])).toEqual([['elsewhere', 'b', 'not json']])
    await c.close()
    expect(closed).toBe(1)
  })

  it('refuses a dead-letter topic with no sink to send through', async () => {
    const { cluster } = await setup()
    expect(() => new Consumer(cluster.connection, { onDecodeError: { deadLetterTopic: 'dlt' } })).toThrow(InvalidClientOptionError)
  })

  it('a dead-letter send that fails errors the Observable: nothing is dropped silently', async () => {
    const { consumer } = await withBadRecord()
    const c = consumer({ onDecodeError: { deadLetterTopic: 'no-such-topic' }, logger: { warn: () => undefined } })
    await expect(lastValueFrom(c.subscribe(readings, { from: 'earliest' }))).rejects.toMatchObject({ _tag: 'UnknownTopicError' })
  })
})
