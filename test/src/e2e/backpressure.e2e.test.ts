// End-to-end: backpressure. With processed() after slow work the consumer fetches no further
// ahead than maxBufferedBytes (plus one fetch per partition); a fast pipeline drains everything.
import { concatMap, firstValueFrom, map, take, timeout, timer, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { processed } from '@rivulet/core'
import { cleanup, embedded } from './support.js'

afterEach(cleanup)

const RECORDS = 3000
const VALUE_BYTES = 1000
const MAX_BUFFERED = 32 * 1024
const FETCH_MAX = 8 * 1024
const PARTITIONS = 2

/** A topic of RECORDS records of about VALUE_BYTES each, in batches of at most 4 KiB. */
const filledTopic = async () => {
  const rv = await embedded()
  await rv.admin.createTopic('bp', { partitions: PARTITIONS })
  const producer = rv.producer({ batchBytes: 4096 })
  const value = 'x'.repeat(VALUE_BYTES)
  await producer.send(
    'bp',
    Array.from({ length: RECORDS }, (_, i) => ({ value: `${i}:${value}`, partition: i % PARTITIONS })),
  )
  return rv
}

// The most a subscription may hold: the budget, plus one fetch per partition that started
// while it was still under it (a fetch returns whole batches, here under FETCH_MAX).
const BOUND = MAX_BUFFERED + PARTITIONS * FETCH_MAX

describe('backpressure through processed()', () => {
  it('keeps the buffered bytes bounded while the processing is slow', async () => {
    const rv = await filledTopic()
    const consumer = rv.consumer({ maxBufferedBytes: MAX_BUFFERED, fetchMaxBytes: FETCH_MAX })
    const samples: number[] = []
    const taken = await firstValueFrom(
      consumer.subscribe('bp', { from: 'earliest' }).pipe(
        concatMap((record) => timer(1).pipe(map(() => record))),
        processed(),
        map((record) => {
          samples.push(consumer.stats.bufferedBytes)
          return record
        }),
        take(150),
        toArray(),
        timeout(10_000),
      ),
    )
    expect(taken).toHaveLength(150)
    const stats = consumer.stats
    expect(stats.peakBufferedBytes).toBeGreaterThan(0)
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(BOUND)
    expect(Math.max(...samples)).toBeLessThanOrEqual(BOUND)
    // It fetched what was taken plus at most the bound, not the whole topic (3 MB).
    expect(stats.fetchedBytes).toBeLessThanOrEqual(150 * (VALUE_BYTES + 100) + BOUND)
    expect(stats.records).toBeLessThan(RECORDS / 4)
  })

  it('without processed() the slow pipeline does not bound the consumer: the budget needs the acknowledgements', async () => {
    const rv = await filledTopic()
    const consumer = rv.consumer({ maxBufferedBytes: MAX_BUFFERED, fetchMaxBytes: FETCH_MAX })
    await firstValueFrom(
      consumer.subscribe('bp', { from: 'earliest' }).pipe(
        concatMap((record) => timer(1).pipe(map(() => record))),
        take(150),
        toArray(),
        timeout(10_000),
      ),
    )
    // concatMap buffered what the consumer emitted: far more than the bound was fetched.
    expect(consumer.stats.fetchedBytes).toBeGreaterThan(10 * BOUND)
  })

  it('drains every record through a fast pipeline, in order per partition, within the same bound', async () => {
    const rv = await filledTopic()
    const consumer = rv.consumer({ maxBufferedBytes: MAX_BUFFERED, fetchMaxBytes: FETCH_MAX })
    const all = await firstValueFrom(
      consumer.subscribe('bp', { from: 'earliest' }).pipe(
        map((record) => record),
        processed(),
        take(RECORDS),
        toArray(),
        timeout(10_000),
      ),
    )
    expect(all).toHaveLength(RECORDS)
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const offsets = all.filter((r) => r.partition === partition).map((r) => r.offset)
      expect(offsets).toEqual(Array.from({ length: RECORDS / PARTITIONS }, (_, i) => BigInt(i)))
    }
    expect(all.map((r) => Number(r.value!.toString().split(':')[0])).sort((a, b) => a - b)).toEqual(
      Array.from({ length: RECORDS }, (_, i) => i),
    )
    expect(consumer.stats.peakBufferedBytes).toBeLessThanOrEqual(BOUND)
  })
})
