import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { ClosedError, UnknownTopicError } from '../errors.js'
import { Admin } from './admin.js'
import { Consumer } from './consumer.js'
import { PartitionAssignmentError } from './errors.js'
import { Producer } from './producer.js'
import type { ConsumerRecord } from './records.js'
import { startTestCluster, type TestCluster } from './test-support/cluster.js'

const clusters: TestCluster[] = []
const consumers: Consumer[] = []
afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.close()
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = async (partitions = 1) => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  await new Admin(cluster.connection).createTopic('t', { partitions })
  const producer = new Producer(cluster.connection, { lingerMs: 0 })
  const consumer = (options = {}) => {
    const made = new Consumer(cluster.connection, { fetchMaxWaitMs: 50, ...options })
    consumers.push(made)
    return made
  }
  return { cluster, producer, consumer }
}

const sendValues = (producer: Producer, values: readonly string[], partition = 0) =>
  producer.send('t', values.map((value) => ({ value, partition })))

const valuesOf = (records: readonly ConsumerRecord[]) => records.map((r) => r.value?.toString())

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('Consumer.subscribe: where reading starts', () => {
  it('reads every partition from the earliest offset, each record with its facts', async () => {
    const { producer, consumer } = await setup(3)
    await producer.send('t', [
      { value: 'a', partition: 0, key: 'k', headers: { h: 'x' }, timestamp: 1000 },
      { value: 'b', partition: 1 },
      { value: 'c', partition: 2 },
      { value: 'd', partition: 0 },
    ])
    const records = await firstValueFrom(consumer().subscribe('t', { from: 'earliest' }).pipe(take(4), toArray()))
    expect(valuesOf(records).sort()).toEqual(['a', 'b', 'c', 'd'])
    const first = records.find((r) => r.value?.toString() === 'a')!
    expect(first).toMatchObject({ topic: 't', partition: 0, offset: 0n, timestamp: 1000 })
    expect(first.key).toEqual(Buffer.from('k'))
    expect(first.headers).toEqual([{ key: 'h', value: Buffer.from('x') }])
    expect(Object.keys(first).sort()).toEqual(['headers', 'key', 'offset', 'partition', 'timestamp', 'topic', 'value'])
    expect(valuesOf(records.filter((r) => r.partition === 0))).toEqual(['a', 'd'])
  })

  it('from latest sees only what is produced after it started', async () => {
    const { producer, consumer } = await setup()
    await sendValues(producer, ['old'])
    const c = consumer()
    const got = firstValueFrom(c.subscribe('t', { from: 'latest' }).pipe(take(1)))
    await tick(30)
    await sendValues(producer, ['new'])
    expect(valuesOf([await got])).toEqual(['new'])
  })

  it('from an offset, also one inside a batch', async () => {
    const { producer, consumer } = await setup()
    // One send: one batch of ten records, offsets 0..9.
    await sendValues(producer, Array.from({ length: 10 }, (_, i) => `v${i}`))
    const records = await firstValueFrom(consumer().subscribe('t', { from: { offset: 7 } }).pipe(take(3), toArray()))
    expect(records.map((r) => r.offset)).toEqual([7n, 8n, 9n])
    expect(valuesOf(records)).toEqual(['v7', 'v8', 'v9'])
  })

  it('from a timestamp: the first record at or after it', async () => {
    const { producer, consumer } = await setup()
    await producer.send('t', [1000, 2000, 3000, 4000].map((timestamp) => ({ value: `at${timestamp}`, timestamp })))
    const records = await firstValueFrom(consumer().subscribe('t', { from: { timestamp: 2500 } }).pipe(take(2), toArray()))
    expect(valuesOf(records)).toEqual(['at3000', 'at4000'])
  })

  it('reads assigned partitions from their own offsets', async () => {
    const { producer, consumer } = await setup(2)
    await sendValues(producer, ['a0', 'a1', 'a2'], 0)
    await sendValues(producer, ['b0', 'b1'], 1)
    const records = await firstValueFrom(
      consumer()
        .assign([
          { topic: 't', partition: 0, offset: 2n },
          { topic: 't', partition: 1, offset: 'earliest' },
        ])
        .pipe(take(3), toArray()),
    )
    expect(valuesOf(records).sort()).toEqual(['a2', 'b0', 'b1'])
  })

  it('wakes a parked fetch when records arrive: no busy polling', async () => {
    const { producer, consumer } = await setup()
    const c = consumer({ fetchMaxWaitMs: 10_000 })
    const started = Date.now()
    const got = firstValueFrom(c.subscribe('t', { from: 'latest' }).pipe(take(1)))
    await tick(100)
    const fetchesWhileIdle = c.stats.fetches
    await sendValues(producer, ['wake'])
    expect(valuesOf([await got])).toEqual(['wake'])
    expect(Date.now() - started).toBeLessThan(5000)
    // The fetch parked at the end of the log was the one answered.
    expect(fetchesWhileIdle).toBe(0)
    expect(c.stats.fetches).toBe(1)
  })

  it('errors for an unknown topic', async () => {
    const { consumer } = await setup()
    await expect(firstValueFrom(consumer().subscribe('missing'))).rejects.toBeInstanceOf(UnknownTopicError)
  })

  it('errors with UnknownTopicError when the topic is deleted while its fetch waits', async () => {
    const { cluster, consumer } = await setup()
    const c = consumer({ retryBackoffMs: 10 })
    const failed = firstValueFrom(c.subscribe('t', { from: 'latest' })).catch((error: unknown) => error)
    await tick(30)
    await new Admin(cluster.connection).deleteTopic('t')
    expect(await failed).toBeInstanceOf(UnknownTopicError)
  })
})

describe('Consumer: pause, resume, seek', () => {
  it('pauses and resumes a partition, and seeks it back', async () => {
    const { producer, consumer } = await setup(2)
    const c = consumer()
    const seen: string[] = []
    const subscription = c.subscribe('t', { from: 'earliest' }).subscribe((r) => seen.push(`${r.partition}:${r.value}`))
    await sendValues(producer, ['a'], 0)
    await sendValues(producer, ['x'], 1)
    for (let i = 0; i < 100 && seen.length < 2; i++) await tick(5)
    c.pause([{ topic: 't', partitions: [0] }])
    expect(c.paused()).toEqual([{ topic: 't', partition: 0 }])
    await sendValues(producer, ['b'], 0)
    await sendValues(producer, ['y'], 1)
    for (let i = 0; i < 100 && seen.length < 3; i++) await tick(5)
    await tick(100)
    expect(seen.sort()).toEqual(['0:a', '1:x', '1:y'])
    c.resume([{ topic: 't' }])
    for (let i = 0; i < 100 && seen.length < 4; i++) await tick(5)
    expect(seen).toContain('0:b')
    c.seek({ topic: 't', partition: 0, offset: 0n })
    for (let i = 0; i < 100 && seen.length < 6; i++) await tick(5)
    expect(seen.slice(4)).toEqual(['0:a', '0:b'])
    c.seek({ topic: 't', partition: 1, offset: 'earliest' })
    for (let i = 0; i < 100 && seen.length < 8; i++) await tick(5)
    expect(seen.slice(6)).toEqual(['1:x', '1:y'])
    subscription.unsubscribe()
  })

  it('pauses before the next record when asked from inside the subscriber, keeping the rest', async () => {
    const { producer, consumer } = await setup()
    await sendValues(producer, ['a', 'b', 'c', 'd'])
    const c = consumer()
    const seen: string[] = []
    const subscription = c.subscribe('t', { from: 'earliest' }).subscribe((r) => {
      seen.push(r.value!.toString())
      if (seen.length === 2) c.pause([{ topic: 't' }])
    })
    await tick(100)
    expect(seen).toEqual(['a', 'b'])
    c.resume([{ topic: 't' }])
    for (let i = 0; i < 100 && seen.length < 4; i++) await tick(5)
    expect(seen).toEqual(['a', 'b', 'c', 'd'])
    subscription.unsubscribe()
  })

  it('refuses to seek a partition it does not consume, or to read one twice', async () => {
    const { consumer } = await setup()
    const c = consumer()
    expect(() => c.seek({ topic: 't', partition: 0, offset: 0n })).toThrow(PartitionAssignmentError)
    expect(() => c.pause([{ topic: 't', partitions: [0] }])).toThrow(/t-0 is not consumed/)
    const subscription = c.subscribe('t').subscribe()
    await tick(20)
    await expect(firstValueFrom(c.subscribe('t'))).rejects.toMatchObject({ _tag: 'PartitionAssignmentError', reason: 'already-consumed' })
    subscription.unsubscribe()
    // Unsubscribing gave the partition back.
    const again = c.subscribe('t').subscribe()
    await tick(20)
    expect(() => c.seek({ topic: 't', partition: 0, offset: 0n })).not.toThrow()
    again.unsubscribe()
  })
})

describe('Consumer: async iteration and close', () => {
  it('iterates with for await and stops consuming on break', async () => {
    const { producer, consumer } = await setup()
    await sendValues(producer, ['a', 'b', 'c'])
    const c = consumer()
    const seen: string[] = []
    for await (const record of c.iterate('t', { from: 'earliest' })) {
      seen.push(record.value!.toString())
      if (seen.length === 2) break
    }
    expect(seen).toEqual(['a', 'b'])
    await tick(10)
    // The partition is free again: the loop's subscription ended.
    const next = await firstValueFrom(c.subscribe('t', { from: { offset: 2 } }))
    expect(next.value?.toString()).toBe('c')
  })

  it('stops fetching when unsubscribed', async () => {
    const { consumer } = await setup(2)
    const c = consumer({ fetchMaxWaitMs: 10 })
    const subscription = c.subscribe('t').subscribe()
    await tick(60)
    expect(c.stats.fetches).toBeGreaterThan(2)
    subscription.unsubscribe()
    await tick(20)
    const after = c.stats.fetches
    await tick(100)
    expect(c.stats.fetches).toBe(after)
  })

  it('reports where acknowledged records end, per partition', async () => {
    const { producer, consumer } = await setup(2)
    await producer.send('t', [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }])
    const c = consumer()
    const iterator = c.iterate('t', { from: 'earliest' })
    const taken = [(await iterator.next()).value!, (await iterator.next()).value!]
    const expected = [0, 1].map((partition) => {
      const last = taken.filter((r) => r.partition === partition).at(-1)
      return last === undefined ? undefined : { topic: 't', partition, offset: last.offset + 1n }
    })
    expect(c.acknowledgedPositions().sort((a, b) => a.partition - b.partition)).toEqual(expected.filter((p) => p !== undefined))
    await iterator.return!()
  })

  it('close completes live subscriptions, refuses new ones, and can be called twice', async () => {
    const { producer, consumer } = await setup()
    await sendValues(producer, ['a'])
    const c = consumer()
    const all = lastValueFrom(c.subscribe('t', { from: 'earliest' }).pipe(toArray()))
    await tick(50)
    await c.close()
    expect(valuesOf(await all)).toEqual(['a'])
    await expect(firstValueFrom(c.subscribe('t'))).rejects.toBeInstanceOf(ClosedError)
    await c.close()
    const iterator = c.iterate('t')
    await expect(iterator.next()).rejects.toBeInstanceOf(ClosedError)
  })
})
