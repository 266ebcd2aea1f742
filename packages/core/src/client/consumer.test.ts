import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { ClosedError, UnknownTopicError } from '../errors.js'
import { Admin } from './admin.js'
import { Consumer } from './consumer.js'
import { PartitionAssignmentError } from './errors.js'
import { Producer } from './producer.js'
import type { ConsumerRecord } from './records.js'
import { settle } from '../actor/test-support/fixtures.js'
import { parkedFetch, partitionCaughtUp, startTestCluster, type TestCluster, type TrackedFetch, trackingFetches } from './test-support/cluster.js'
import { eventually } from '@rivulet/test-kit'

const clusters: TestCluster[] = []
const consumers: Consumer[] = []
afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.close()
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = async (partitions = 1) => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  const fetches: TrackedFetch[] = []
  cluster.wrapPartition(() => true, trackingFetches(fetches))
  await new Admin(cluster.connection).createTopic('t', { partitions })
  const producer = new Producer(cluster.connection, { lingerMs: 0 })
  const consumer = (options = {}) => {
    const made = new Consumer(cluster.connection, { fetchMaxWaitMs: 50, ...options })
    consumers.push(made)
    return made
  }
  const parkedFetchOf = (partition: number, where: { offset?: bigint; after?: number } = {}) =>
    parkedFetch(cluster.connection, fetches, { partition, ...where })
  return { cluster, producer, consumer, fetches, parkedFetch: parkedFetchOf }
}

const sendValues = (producer: Producer, values: readonly string[], partition = 0) =>
  producer.send('t', values.map((value) => ({ value, partition })))

const valuesOf = (records: readonly ConsumerRecord[]) => records.map((r) => r.value?.toString())

/** Polls until `seen` holds `count` values (a timeout with a message rather than a flake). */
const seenCount = (seen: readonly unknown[], count: number) => eventually(() => seen.length >= count, { what: `${count} records`, timeoutMs: 10_000 })

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
    const { producer, consumer, parkedFetch } = await setup()
    await sendValues(producer, ['old'])
    const c = consumer()
    const got = firstValueFrom(c.subscribe('t', { from: 'latest' }).pipe(take(1)))
    // 'latest' is resolved once the consumer fetches from it; produce only then.
    expect((await parkedFetch(0)).offset).toBe(1n)
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
    const { producer, consumer, fetches, parkedFetch } = await setup()
    const c = consumer({ fetchMaxWaitMs: 10_000 })
    const got = firstValueFrom(c.subscribe('t', { from: 'latest' }).pipe(take(1)))
    const parked = await parkedFetch(0)
    const fetchesWhileIdle = c.stats.fetches
    await sendValues(producer, ['wake'])
    expect(valuesOf([await got])).toEqual(['wake'])
    // The fetch parked at the end of the log was the one answered, long before its 10 s wait.
    expect(fetchesWhileIdle).toBe(0)
    expect(fetches.indexOf(parked)).toBe(0)
    expect(parked.answeredBytes).toBeGreaterThan(0)
    expect(c.stats.fetches).toBe(1)
  })

  it('errors for an unknown topic', async () => {
    const { consumer } = await setup()
    await expect(firstValueFrom(consumer().subscribe('missing'))).rejects.toBeInstanceOf(UnknownTopicError)
  })

  it('errors with UnknownTopicError when the topic is deleted while its fetch waits', async () => {
    const { cluster, consumer, parkedFetch } = await setup()
    const c = consumer({ retryBackoffMs: 10 })
    const failed = firstValueFrom(c.subscribe('t', { from: 'latest' })).catch((error: unknown) => error)
    await parkedFetch(0)
    await new Admin(cluster.connection).deleteTopic('t')
    expect(await failed).toBeInstanceOf(UnknownTopicError)
  })
})

describe('Consumer: pause, resume, seek', () => {
  it('pauses and resumes a partition, and seeks it back', async () => {
    const { producer, consumer, fetches, parkedFetch } = await setup(2)
    const c = consumer()
    const seen: string[] = []
    const subscription = c.subscribe('t', { from: 'earliest' }).subscribe((r) => seen.push(`${r.partition}:${r.value}`))
    await sendValues(producer, ['a'], 0)
    await sendValues(producer, ['x'], 1)
    await seenCount(seen, 2)
    const inFlight = await parkedFetch(0, { offset: 1n })
    c.pause([{ topic: 't', partitions: [0] }])
    expect(c.paused()).toEqual([{ topic: 't', partition: 0 }])
    await sendValues(producer, ['b'], 0)
    await sendValues(producer, ['y'], 1)
    await seenCount(seen, 3)
    // The fetch parked before the pause comes back (with b, or empty when its wait ran out first).
    // A feed that ignored the pause would emit b, or fetch again, as soon as it has the answer.
    await eventually(() => inFlight.answeredBytes !== undefined, { what: 'the parked fetch of t-0 answered', timeoutMs: 10_000 })
    await settle()
    expect(seen.sort()).toEqual(['0:a', '1:x', '1:y'])
    expect(fetches.slice(fetches.indexOf(inFlight) + 1).filter((f) => f.path === inFlight.path)).toEqual([])
    c.resume([{ topic: 't' }])
    await seenCount(seen, 4)
    expect(seen).toContain('0:b')
    c.seek({ topic: 't', partition: 0, offset: 0n })
    await seenCount(seen, 6)
    expect(seen.slice(4)).toEqual(['0:a', '0:b'])
    c.seek({ topic: 't', partition: 1, offset: 'earliest' })
    await seenCount(seen, 8)
    expect(seen.slice(6)).toEqual(['1:x', '1:y'])
    subscription.unsubscribe()
  })

  it('pauses before the next record when asked from inside the subscriber, keeping the rest', async () => {
    const { producer, consumer, fetches } = await setup()
    await sendValues(producer, ['a', 'b', 'c', 'd'])
    const c = consumer()
    const seen: string[] = []
    const subscription = c.subscribe('t', { from: 'earliest' }).subscribe((r) => {
      seen.push(r.value!.toString())
      if (seen.length === 2) c.pause([{ topic: 't' }])
    })
    await seenCount(seen, 2)
    // All four came in the one fetch, already answered: c and d stay held, and nothing is fetched.
    await settle()
    expect(seen).toEqual(['a', 'b'])
    expect(fetches.map((f) => [f.offset, f.answeredBytes! > 0])).toEqual([[0n, true]])
    c.resume([{ topic: 't' }])
    await seenCount(seen, 4)
    expect(seen).toEqual(['a', 'b', 'c', 'd'])
    subscription.unsubscribe()
  })

  it('refuses to seek a partition it does not consume, or to read one twice', async () => {
    const { consumer, fetches, parkedFetch } = await setup()
    const c = consumer()
    expect(() => c.seek({ topic: 't', partition: 0, offset: 0n })).toThrow(PartitionAssignmentError)
    expect(() => c.pause([{ topic: 't', partitions: [0] }])).toThrow(/t-0 is not consumed/)
    const subscription = c.subscribe('t').subscribe()
    await parkedFetch(0)
    await expect(firstValueFrom(c.subscribe('t'))).rejects.toMatchObject({ _tag: 'PartitionAssignmentError', reason: 'already-consumed' })
    subscription.unsubscribe()
    // Unsubscribing gave the partition back.
    const again = c.subscribe('t').subscribe()
    await parkedFetch(0, { after: fetches.length })
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
    // The partition is free again: the loop's subscription ended.
    const next = await firstValueFrom(c.subscribe('t', { from: { offset: 2 } }))
    expect(next.value?.toString()).toBe('c')
  })

  it('stops fetching when unsubscribed', async () => {
    const { cluster, consumer, fetches } = await setup(2)
    const c = consumer({ fetchMaxWaitMs: 10 })
    const subscription = c.subscribe('t').subscribe()
    await eventually(() => c.stats.fetches > 2, { what: 'three fetches answered', timeoutMs: 10_000 })
    subscription.unsubscribe()
    // A feed sends its next fetch within microtasks of an answer; one turn lets any already under
    // way go out. Those in flight come back within their 10 ms wait, and after each answer a feed
    // still running would fetch again: so once all are answered, nothing more may be sent.
    await settle()
    await eventually(() => fetches.every((f) => f.answeredBytes !== undefined), { what: 'the fetches in flight answered', timeoutMs: 10_000 })
    const sent = fetches.length
    const answered = c.stats.fetches
    await settle()
    await Promise.all([...new Set(fetches.map((f) => f.path))].map((path) => partitionCaughtUp(cluster.connection, path)))
    expect(fetches.length).toBe(sent)
    expect(c.stats.fetches).toBe(answered)
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
    await eventually(() => c.stats.records === 1, { what: 'the record emitted', timeoutMs: 10_000 })
    await c.close()
    expect(valuesOf(await all)).toEqual(['a'])
    await expect(firstValueFrom(c.subscribe('t'))).rejects.toBeInstanceOf(ClosedError)
    await c.close()
    const iterator = c.iterate('t')
    await expect(iterator.next()).rejects.toBeInstanceOf(ClosedError)
  })
})
