// End-to-end: consuming untyped topics — start positions, assign, seek, pause/resume, async
// iteration, and keys, values and headers delivered as Buffers.
import type { ConsumerRecord } from '@rivulet/core'
import { firstValueFrom, take, timeout, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { asText, cleanup, embedded, readRecords } from './support.js'
import { eventually, thrownBy } from '@rivulet/test-kit'

afterEach(cleanup)

describe('consumer', () => {
  const fill = async (partitions = 1, count = 10) => {
    const rv = await embedded()
    await rv.admin.createTopic('c', { partitions })
    const producer = rv.producer()
    const records = Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition: i % partitions, timestamp: 1_000 * (i + 1) }))
    await producer.send('c', records)
    return { rv, producer }
  }
  const values = (records: readonly ConsumerRecord[]) => records.map((r) => r.value?.toString())

  it('subscribes from earliest, from an offset, and from a timestamp', async () => {
    const { rv } = await fill()
    const consumer = rv.consumer()
    const read = (from: Parameters<typeof consumer.subscribe>[1]) =>
      firstValueFrom(consumer.subscribe('c', from).pipe(take(3), toArray(), timeout(5_000)))
    expect(values(await read({ from: 'earliest' }))).toEqual(['v0', 'v1', 'v2'])
    expect(values(await read({ from: { offset: 6 } }))).toEqual(['v6', 'v7', 'v8'])
    expect(values(await read({ from: { offset: 7n } }))).toEqual(['v7', 'v8', 'v9'])
    // Timestamps are 1000, 2000, ...: the first at or after 4500 is v4's 5000.
    const byTime = await read({ from: { timestamp: 4_500 } })
    expect(byTime.map((r) => [r.offset, r.timestamp])).toEqual([
      [4n, 5_000],
      [5n, 6_000],
      [6n, 7_000],
    ])
  })

  it('subscribes from latest: only records produced afterwards arrive', async () => {
    const { rv, producer } = await fill()
    const consumer = rv.consumer({ fetchMaxWaitMs: 20 })
    const arrived = firstValueFrom(consumer.subscribe('c', { from: 'latest' }).pipe(take(2), toArray(), timeout(5_000)))
    // A fetch came back (empty), so the position was taken before the new records.
    await eventually(() => consumer.stats.fetches >= 1, { what: 'a first fetch' })
    await producer.send('c', [{ value: 'new1' }, { value: 'new2' }])
    expect((await arrived).map((r) => [r.offset, r.value?.toString()])).toEqual([
      [10n, 'new1'],
      [11n, 'new2'],
    ])
  })

  it('assigns chosen partitions, each from its own offset', async () => {
    const { rv } = await fill(3, 30)
    const consumer = rv.consumer()
    const records = await firstValueFrom(
      consumer
        .assign([
          { topic: 'c', partition: 2, offset: 8 },
          { topic: 'c', partition: 0, offset: 'earliest' },
        ])
        .pipe(take(12), toArray(), timeout(5_000)),
    )
    expect(records.filter((r) => r.partition === 2).map((r) => r.offset)).toEqual([8n, 9n])
    expect(records.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n])
    expect(records.some((r) => r.partition === 1)).toBe(false)
    expect(values(records.filter((r) => r.partition === 2))).toEqual(['v26', 'v29'])

    const unknown = await firstValueFrom(consumer.assign([{ topic: 'c', partition: 3 }])).catch((error: { _tag: string; message: string }) => error)
    expect(unknown).toMatchObject({ _tag: 'UnknownPartitionError' })
    expect((unknown as { message: string }).message).toContain('no partition 3')
  })

  it('seeks a consumed partition back; the next record is the one sought', async () => {
    const { rv } = await fill()
    const consumer = rv.consumer()
    let sought = false
    const offsets: bigint[] = []
    await new Promise<void>((resolve, reject) => {
      const subscription = consumer.subscribe('c', { from: 'earliest' }).subscribe({
        next(record) {
          offsets.push(record.offset)
          if (record.offset === 4n && !sought) {
            sought = true
            consumer.seek({ topic: 'c', partition: 0, offset: 1n })
          }
          if (offsets.length === 14) {
            subscription.unsubscribe()
            resolve()
          }
        },
        error: reject,
      })
    })
    expect(offsets).toEqual([0n, 1n, 2n, 3n, 4n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n])
    const notConsumed = thrownBy(() => consumer.seek({ topic: 'c', partition: 0, offset: 0n }))
    expect(notConsumed._tag).toBe('PartitionAssignmentError')
    expect(notConsumed.message).toContain('c-0 is not consumed')
  })

  it('pauses one partition while the others go on, and resumes it', async () => {
    const { rv } = await fill(2, 10)
    const consumer = rv.consumer()
    const seen: ConsumerRecord[] = []
    let paused = false
    const subscription = consumer.subscribe('c', { from: 'earliest' }).subscribe((record) => {
      seen.push(record)
      if (record.partition === 0 && !paused) {
        paused = true
        consumer.pause([{ topic: 'c', partitions: [0] }])
      }
    })
    try {
      const of = (partition: number) => seen.filter((r) => r.partition === partition)
      await eventually(() => of(1).length === 5 && of(0).length >= 1, { what: 'partition 1 read whole' })
      // The pause came from inside the subscriber, before partition 0's next record; a feed that
      // ignored it would have gone on emitting its fetched records long before partition 1 was
      // read whole. One more turn for anything already under way.
      await new Promise((resolve) => setImmediate(resolve))
      expect(of(0).map((r) => r.offset)).toEqual([0n])
      expect(consumer.paused()).toEqual([{ topic: 'c', partition: 0 }])

      consumer.resume([{ topic: 'c' }])
      await eventually(() => of(0).length === 5, { what: 'partition 0 read whole' })
      expect(of(0).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n])
      expect(consumer.paused()).toEqual([])
    } finally {
      subscription.unsubscribe()
    }
  })

  it('iterates with for await; each record taken is acknowledged, and break stops it', async () => {
    const { rv } = await fill()
    const consumer = rv.consumer()
    const taken: string[] = []
    for await (const record of consumer.iterate('c', { from: 'earliest' })) {
      taken.push(record.value!.toString())
      expect(consumer.acknowledgedPositions()).toEqual([{ topic: 'c', partition: 0, offset: record.offset + 1n }])
      if (taken.length === 6) break
    }
    expect(taken).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
    // The loop's end released the partition: another subscription may read it.
    const again = await firstValueFrom(consumer.subscribe('c', { from: { offset: 9 } }).pipe(timeout(5_000)))
    expect(again.value?.toString()).toBe('v9')
  })

  it('takes strings, Buffers, Uint8Arrays and nulls on untyped topics and delivers Buffers', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('raw', { partitions: 1 })
    await rv.producer().send('raw', [
      { key: 'text-key', value: 'text ✓' },
      { key: Buffer.from([1, 2, 3]), value: Buffer.from([0, 255]) },
      { key: new Uint8Array([9, 8]), value: new Uint8Array([7, 6, 5]) },
      { key: null, value: null },
      { value: '' },
    ])
    const records = await readRecords(rv, 'raw', 5)
    for (const record of records.slice(0, 3)) {
      expect(Buffer.isBuffer(record.key)).toBe(true)
      expect(Buffer.isBuffer(record.value)).toBe(true)
    }
    expect(records.map((r) => [r.key && [...r.key], r.value && [...r.value]])).toEqual([
      [[...Buffer.from('text-key')], [...Buffer.from('text ✓')]],
      [
        [1, 2, 3],
        [0, 255],
      ],
      [
        [9, 8],
        [7, 6, 5],
      ],
      [null, null],
      [null, []],
    ])
    expect(records.map(asText)[0]).toEqual({ partition: 0, offset: 0n, key: 'text-key', value: 'text ✓' })
  })

  it('round-trips headers: order, repeated keys, binary and null values', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('h', { partitions: 1 })
    await rv.producer().send('h', [
      {
        value: 'listed',
        headers: [
          { key: 'trace', value: 'abc' },
          { key: 'bin', value: new Uint8Array([0, 1, 254]) },
          { key: 'trace', value: 'def' },
          { key: 'none', value: null },
        ],
      },
      { value: 'object', headers: { 'content-type': 'application/json', 'ü': 'ß' } },
      { value: 'bare' },
    ])
    const records = await readRecords(rv, 'h', 3)
    const headers = records.map((r) => r.headers.map((h) => [h.key, h.value === null ? null : [...h.value]]))
    expect(headers).toEqual([
      [
        ['trace', [...Buffer.from('abc')]],
        ['bin', [0, 1, 254]],
        ['trace', [...Buffer.from('def')]],
        ['none', null],
      ],
      [
        ['content-type', [...Buffer.from('application/json')]],
        ['ü', [...Buffer.from('ß')]],
      ],
      [],
    ])
    expect(Buffer.isBuffer(records[0].headers[0].value)).toBe(true)
  })
})
