// End-to-end: time retention run by the broker on its own timer deletes old segments, the log
// start offset moves up, and a consumer asking below it follows autoOffsetReset.
import { firstValueFrom, take, timeout, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, embedded, tempDataDir } from './support.js'
import { eventually } from '@rivulet/test-kit'

afterEach(cleanup)

const HOUR_MS = 3_600_000
const OLD_RECORDS = 60

/**
 * A topic with 1 KiB segments and OLD_RECORDS records stamped two hours ago (sent one batch at a
 * time, so they fill several segments), kept forever until `before` is taken; then its retention
 * is altered to one hour and the broker's timer deletes them all; then `fresh` records are added.
 */
const expiredTopic = async (fresh: number, dataDir = tempDataDir()) => {
  const rv = await embedded({ dataDir, retentionCheckIntervalMs: 20 })
  await rv.admin.createTopic('r', { partitions: 1, config: { retentionMs: -1, segmentBytes: 1024 } })
  const producer = rv.producer({ lingerMs: 0 })
  const twoHoursAgo = Date.now() - 2 * HOUR_MS
  for (let i = 0; i < OLD_RECORDS; i += 10) {
    await producer.send(
      'r',
      Array.from({ length: 10 }, (_, j) => ({ value: `old-${i + j}-${'x'.repeat(40)}`, timestamp: twoHoursAgo + i + j })),
    )
  }
  const describe = async () => (await rv.admin.describeTopic('r')).partitions[0]
  const before = await describe()
  await rv.admin.alterTopicConfig('r', { retentionMs: HOUR_MS })
  await eventually(async () => (await describe()).logStartOffset === BigInt(OLD_RECORDS), { what: 'retention to delete the old records' })
  const after = await describe()
  if (fresh > 0) await producer.send('r', Array.from({ length: fresh }, (_, i) => ({ value: `new-${i}` })))
  return { rv, producer, before, after, dataDir }
}

describe('time retention', () => {
  it('deletes expired segments on the broker’s timer and advances the log start offset', async () => {
    const { rv, before, after } = await expiredTopic(5)
    expect(before.segmentCount).toBeGreaterThan(2)
    expect(before.logStartOffset).toBe(0n)
    expect(before.logEndOffset).toBe(BigInt(OLD_RECORDS))
    expect(after.logEndOffset).toBe(BigInt(OLD_RECORDS))
    expect(after.sizeBytes).toBeLessThan(before.sizeBytes)

    // Fresh records are kept, however often retention runs. Proof that it ran again: a topic made
    // after them, whose expired record its own timer deletes. Every partition's timer has the same
    // period and r's was armed first, so r has had a pass by then; and r's Describe below is
    // handled after that pass, in r's own mailbox.
    await rv.admin.createTopic('probe', { partitions: 1, config: { retentionMs: HOUR_MS } })
    await rv.producer({ lingerMs: 0 }).send('probe', { value: 'expired', timestamp: Date.now() - 2 * HOUR_MS })
    await eventually(async () => (await rv.admin.describeTopic('probe')).partitions[0].logStartOffset === 1n, { what: 'retention to run again' })
    const now = (await rv.admin.describeTopic('r')).partitions[0]
    expect([now.logStartOffset, now.logEndOffset]).toEqual([BigInt(OLD_RECORDS), BigInt(OLD_RECORDS + 5)])
    const consumer = rv.consumer()
    const earliest = await firstValueFrom(consumer.subscribe('r', { from: 'earliest' }).pipe(take(5), toArray(), timeout(5_000)))
    expect(earliest.map((r) => [r.offset, r.value?.toString()])).toEqual(
      Array.from({ length: 5 }, (_, i) => [BigInt(OLD_RECORDS + i), `new-${i}`]),
    )
  })

  it('keeps the offsets after a restart of a log that retention emptied: none is given out twice', async () => {
    const { rv, dataDir } = await expiredTopic(0)
    await rv.close()
    const reopened = await embedded({ dataDir })
    const partition = (await reopened.admin.describeTopic('r')).partitions[0]
    expect([partition.logStartOffset, partition.logEndOffset]).toEqual([BigInt(OLD_RECORDS), BigInt(OLD_RECORDS)])
    expect((await reopened.producer().send('r', { value: 'next' })).offset).toBe(BigInt(OLD_RECORDS))
  })
})

describe('a consumer asking for an offset below the log start', () => {
  it("with autoOffsetReset 'earliest' reads from the log start", async () => {
    const { rv } = await expiredTopic(3)
    const consumer = rv.consumer({ autoOffsetReset: 'earliest' })
    const records = await firstValueFrom(consumer.subscribe('r', { from: { offset: 5 } }).pipe(take(3), toArray(), timeout(5_000)))
    expect(records.map((r) => r.offset)).toEqual([60n, 61n, 62n])
    expect(records[0].value?.toString()).toBe('new-0')
  })

  it("with autoOffsetReset 'latest' waits at the log end for new records", async () => {
    const { rv, producer } = await expiredTopic(3)
    const consumer = rv.consumer({ autoOffsetReset: 'latest', fetchMaxWaitMs: 20 })
    const next = firstValueFrom(consumer.assign([{ topic: 'r', partition: 0, offset: 0 }]).pipe(take(2), toArray(), timeout(5_000)))
    await eventually(() => consumer.stats.fetches >= 1, { what: 'the reset and a first fetch at the end' })
    await producer.send('r', [{ value: 'later-0' }, { value: 'later-1' }])
    expect((await next).map((r) => [r.offset, r.value?.toString()])).toEqual([
      [63n, 'later-0'],
      [64n, 'later-1'],
    ])
  })

  it("with autoOffsetReset 'error' errors with PartitionOffsetOutOfRangeError naming the offset and range", async () => {
    const { rv } = await expiredTopic(2)
    const consumer = rv.consumer({ autoOffsetReset: 'error' })
    const error = await firstValueFrom(consumer.subscribe('r', { from: { offset: 10 } })).then(
      () => undefined,
      (e: Error & { _tag?: string }) => e,
    )
    expect(error?._tag).toBe('PartitionOffsetOutOfRangeError')
    expect(error).toMatchObject({ topic: 'r', partition: 0, offset: 10n, logStartOffset: 60n, logEndOffset: 62n })
    expect(error?.message).toContain('offset 10 of r-0 is out of range [60, 62]')
  })

  it('that retention overtook while it was paused goes on from the log start', async () => {
    // Retention off at first: the old records stay until the config is altered.
    const rv = await embedded({ retentionCheckIntervalMs: 20 })
    await rv.admin.createTopic('late', { partitions: 1, config: { retentionMs: -1, segmentBytes: 1024 } })
    const producer = rv.producer({ lingerMs: 0 })
    const twoHoursAgo = Date.now() - 2 * HOUR_MS
    for (let i = 0; i < 40; i += 10) {
      await producer.send('late', Array.from({ length: 10 }, (_, j) => ({ value: `old-${i + j}-${'x'.repeat(40)}`, timestamp: twoHoursAgo })))
    }
    // One batch (10 records) per fetch: after the pause the consumer must fetch again.
    const consumer = rv.consumer({ autoOffsetReset: 'earliest', fetchMaxBytes: 64, fetchMaxWaitMs: 20 })
    const offsets: bigint[] = []
    const subscription = consumer.subscribe('late', { from: 'earliest' }).subscribe((record) => {
      offsets.push(record.offset)
      if (record.offset === 2n) consumer.pause([{ topic: 'late' }])
    })
    try {
      await eventually(() => offsets.length === 3, { what: 'the pause' })
      await rv.admin.alterTopicConfig('late', { retentionMs: HOUR_MS })
      await eventually(async () => (await rv.admin.describeTopic('late')).partitions[0].logStartOffset === 40n, { what: 'retention' })
      await producer.send('late', [{ value: 'new-0' }, { value: 'new-1' }])
      consumer.resume([{ topic: 'late' }])
      await eventually(() => offsets.includes(41n), { what: 'the new records' })
      // The rest of the batch it held, then a jump over what retention deleted.
      expect(offsets).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 40n, 41n])
    } finally {
      subscription.unsubscribe()
    }
  })

  it('past the log end follows the same policy', async () => {
    const { rv } = await expiredTopic(2)
    const error = await firstValueFrom(rv.consumer({ autoOffsetReset: 'error' }).subscribe('r', { from: { offset: 500 } })).then(
      () => undefined,
      (e: Error & { _tag?: string }) => e,
    )
    expect(error).toMatchObject({ _tag: 'PartitionOffsetOutOfRangeError', offset: 500n, logEndOffset: 62n })
    const reset = await firstValueFrom(rv.consumer({ autoOffsetReset: 'earliest' }).subscribe('r', { from: { offset: 500 } }).pipe(timeout(5_000)))
    expect(reset.offset).toBe(60n)
  })
})
