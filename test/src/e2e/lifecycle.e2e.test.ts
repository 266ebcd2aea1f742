// End-to-end: what rv.close() does to the clients — producers flushed, consumers completed, later
// use refused with ClosedError, work in flight settled one way or the other, never left hanging.
import { type ConsumerRecord, produce, type RecordMetadata } from '@rivulet/core'
import { interval, lastValueFrom, map, of, tap, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, embedded, readRecords, tempDataDir } from './support.js'
import { eventually, rejectionOf, thrownBy } from '@rivulet/test-kit'

afterEach(cleanup)

const TIMEOUT = { timeout: 10_000 }

const stillPending = async (promise: Promise<unknown>, ms = 50): Promise<boolean> => {
  const marker = Symbol('pending')
  const raced = await Promise.race([promise.then(() => undefined, () => undefined), new Promise((resolve) => setTimeout(() => resolve(marker), ms))])
  return raced === marker
}

describe('rv.close()', () => {
  it('flushes producers: a send waiting in linger completes, and its record is there after a reopen', TIMEOUT, async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('t', { partitions: 1 })
    const producer = rv.producer({ lingerMs: 60_000 })
    const sent = producer.send('t', { value: 'lingering' })
    expect(await stillPending(sent)).toBe(true)
    await rv.close()
    expect(await sent).toMatchObject({ partition: 0, offset: 0n })

    const reopened = await embedded({ dataDir })
    expect((await readRecords(reopened, 't', 1)).map((r) => r.value?.toString())).toEqual(['lingering'])
  })

  it('completes consumer Observables and ends async iterators, even during a long poll', TIMEOUT, async () => {
    const rv = await embedded()
    await rv.admin.createTopic('t', { partitions: 2 })
    await rv.producer().send('t', { value: 'one', partition: 0 })
    // A long fetchMaxWaitMs: the fetch of the empty partition is parked in the broker at close.
    const consumer = rv.consumer({ fetchMaxWaitMs: 60_000 })
    const received: ConsumerRecord[] = []
    const completed = new Promise<string>((resolve) => {
      consumer.subscribe('t', { from: 'earliest' }).subscribe({ next: (r) => received.push(r), error: () => resolve('error'), complete: () => resolve('complete') })
    })
    const iterated: string[] = []
    const iterating = (async () => {
      for await (const record of rv.consumer({ fetchMaxWaitMs: 60_000 }).iterate('t', { from: 'earliest' })) iterated.push(record.value!.toString())
      return 'ended'
    })()
    await eventually(() => received.length > 0 && iterated.length > 0, { what: 'both consumers to read the record' })
    // Both now wait in a 60 s long poll; the test's 10 s timeout is what fails a close that waits it out.
    await rv.close()
    expect(await completed).toBe('complete')
    expect(await iterating).toBe('ended')
    expect(received.map((r) => r.value?.toString())).toEqual(['one'])
    expect(iterated).toEqual(['one'])
  })

  it('is harmless the second time, and when called twice at once', TIMEOUT, async () => {
    const rv = await embedded()
    await rv.admin.createTopic('t', { partitions: 1 })
    const sent = rv.producer().send('t', { value: 'x' })
    const [a, b] = [rv.close(), rv.close()]
    await Promise.all([a, b])
    await expect(rv.close()).resolves.toBeUndefined()
    expect((await sent).offset).toBe(0n)
  })

  it('refuses later use of producers, consumers and the Rivulet with ClosedError', TIMEOUT, async () => {
    const rv = await embedded()
    await rv.admin.createTopic('t', { partitions: 1 })
    const producer = rv.producer()
    const consumer = rv.consumer()
    await rv.close()

    const send = await rejectionOf(producer.send('t', { value: 'late' }))
    expect(send._tag).toBe('ClosedError')
    expect(send.message).toBe('producer is closed')
    const viaOperator = await rejectionOf(lastValueFrom(of({ value: 'late' }).pipe(produce(producer, 't'))))
    expect(viaOperator._tag).toBe('ClosedError')

    const subscribed = await rejectionOf(lastValueFrom(consumer.subscribe('t', { from: 'earliest' })))
    expect(subscribed._tag).toBe('ClosedError')
    expect(subscribed.message).toBe('consumer is closed')
    const iterated = await rejectionOf(consumer.iterate('t').next())
    expect(iterated._tag).toBe('ClosedError')

    expect(thrownBy(() => rv.producer())).toMatchObject({ _tag: 'ClosedError' })
    expect(thrownBy(() => rv.consumer()).message).toContain('is closed')
    // The admin talks to a broker that is gone: a clear refusal, not a hang.
    const admin = await rejectionOf(rv.admin.listTopics())
    expect(admin._tag).toBe('ClosedError')
    expect(admin.message).toBe('admin is closed')
    expect((await rejectionOf(rv.admin.listGroups()))._tag).toBe('ClosedError')
  })

  it('settles the work in flight at close: earlier sends are delivered, a running produce() errors with ClosedError', TIMEOUT, async () => {
    const rv = await embedded()
    await rv.admin.createTopic('a', { partitions: 3 })
    await rv.admin.createTopic('b', { partitions: 1 })
    const producers = [rv.producer({ lingerMs: 3 }), rv.producer({ lingerMs: 0, batchBytes: 512 })]
    const sends: Promise<RecordMetadata | RecordMetadata[]>[] = []
    for (let i = 0; i < 400; i++) {
      const producer = producers[i % 2]
      sends.push(i % 3 === 0 ? producer.send('b', [{ value: `b${i}` }, { value: `b${i}'` }]) : producer.send('a', { key: `k${i}`, value: `a${i}` }))
    }
    // A pipeline still producing when the close comes.
    const pipeline = lastValueFrom(interval(1).pipe(map((i) => ({ value: `p${i}` })), produce(producers[0], 'a'), toArray())).catch((error: unknown) => error)
    let received = 0
    const consuming = lastValueFrom(
      rv.consumer().subscribe(['a', 'b'], { from: 'earliest' }).pipe(tap(() => received++), toArray()),
    )
    // Close while all three are under way: sends pending, the pipeline producing, records flowing.
    await eventually(() => received > 0, { what: 'the consumer to receive records' })
    await rv.close()

    const settled = await Promise.allSettled(sends)
    const fulfilled = settled.filter((s) => s.status === 'fulfilled')
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    // The sends were all made before the close: the flush delivered every one.
    expect(rejected.map((r) => String(r.reason))).toEqual([])
    expect(fulfilled).toHaveLength(400)
    expect(await pipeline).toMatchObject({ _tag: 'ClosedError' })
    const consumed = await consuming
    expect(consumed.length).toBeGreaterThan(0)
  })
})

describe('closing one client', () => {
  it('producer.close() flushes it and refuses its later sends; the Rivulet goes on', TIMEOUT, async () => {
    const rv = await embedded()
    await rv.admin.createTopic('t', { partitions: 1 })
    const producer = rv.producer({ lingerMs: 60_000 })
    const sent = producer.send('t', { value: 'flushed' })
    await producer.close()
    expect((await sent).offset).toBe(0n)
    expect((await rejectionOf(producer.send('t', { value: 'no' })))._tag).toBe('ClosedError')
    expect((await rv.producer().send('t', { value: 'other' })).offset).toBe(1n)
  })

  it('consumer.close() completes its Observables and refuses new subscriptions', TIMEOUT, async () => {
    const rv = await embedded()
    await rv.admin.createTopic('t', { partitions: 1 })
    const consumer = rv.consumer({ fetchMaxWaitMs: 60_000 })
    const all = lastValueFrom(consumer.subscribe('t', { from: 'earliest' }).pipe(toArray()))
    await rv.producer().send('t', [{ value: '1' }, { value: '2' }])
    await eventually(() => consumer.stats.records >= 2, { what: 'both records read' })
    await consumer.close()
    expect((await all).map((r) => r.value?.toString())).toEqual(['1', '2'])
    expect((await rejectionOf(lastValueFrom(consumer.subscribe('t'))))._tag).toBe('ClosedError')
    expect((await readRecords(rv, 't', 2)).length).toBe(2)
  })
})
