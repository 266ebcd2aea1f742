// End-to-end: typed topics (Serde.string, Serde.json, Serde.schema): values checked at send, and
// what each onDecodeError policy does with a record that does not decode — never a silent drop.
import { type ClientLogger, type Consumer, Serde, topic } from '@rivulet/core'
import { Schema } from 'effect'
import { firstValueFrom, take, timeout, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, embedded, readRecords } from './support.js'
import { rejectionOf } from '@rivulet/test-kit'

afterEach(cleanup)

const Order = Schema.Struct({
  user: Schema.String,
  amount: Schema.Number,
  items: Schema.Array(Schema.Struct({ sku: Schema.String, quantity: Schema.Number })),
})
type Order = typeof Order.Type
const orders = topic('orders', { key: Serde.string, value: Serde.schema(Order) })
const order = (user: string, amount: number): Order => ({ user, amount, items: [{ sku: `sku-${amount}`, quantity: 1 }] })

const logEnd = async (rv: Awaited<ReturnType<typeof embedded>>, name: string) =>
  (await rv.admin.describeTopic(name)).partitions.map((p) => p.logEndOffset)

describe('typed topics round trip', () => {
  it('delivers string keys and schema-checked values as they were sent', async () => {
    const rv = await embedded()
    await rv.admin.createTopic(orders, { partitions: 2 })
    const sent = [order('alice', 10), order('bob', 7), order('alice', 3)]
    await rv.producer().send(
      orders,
      sent.map((value) => ({ key: value.user, value })),
    )
    const records = await readRecords(rv, orders, 3)
    expect(records.map((r) => r.value).sort((a, b) => a!.amount - b!.amount)).toEqual([sent[2], sent[1], sent[0]])
    expect(records.every((r) => typeof r.key === 'string' && r.key === r.value!.user)).toBe(true)
    // The same key, the same partition.
    const alice = records.filter((r) => r.key === 'alice')
    expect(new Set(alice.map((r) => r.partition)).size).toBe(1)
  })

  it('delivers Serde.json values and keeps null values as null', async () => {
    const rv = await embedded()
    const events = topic('events', { key: Serde.string, value: Serde.json<{ kind: string; at: number[] }>() })
    await rv.admin.createTopic(events, { partitions: 1 })
    await rv.producer().send(events, [
      { key: 'a', value: { kind: 'click', at: [1, 2] } },
      { key: 'b', value: null },
    ])
    const records = await readRecords(rv, events, 2)
    expect(records.map((r) => [r.key, r.value])).toEqual([
      ['a', { kind: 'click', at: [1, 2] }],
      ['b', null],
    ])
  })
})

describe('a value that does not match its schema is refused at send', () => {
  it('rejects with a SerializationError naming the field, and writes nothing', async () => {
    const rv = await embedded()
    await rv.admin.createTopic(orders, { partitions: 1 })
    const producer = rv.producer()
    const bad = { user: 'carol', amount: 'twelve', items: [] } as unknown as Order
    const error = await rejectionOf(producer.send(orders, { key: 'carol', value: bad }))
    expect(error._tag).toBe('SerializationError')
    expect(error).toMatchObject({ topic: 'orders', target: 'value', path: 'amount' })
    expect(error.message).toContain('at amount')

    const nested = { user: 'dave', amount: 1, items: [{ sku: 'ok', quantity: 1 }, { sku: 5, quantity: 1 }] } as unknown as Order
    const nestedError = await rejectionOf(producer.send(orders, { key: 'dave', value: nested }))
    expect(nestedError).toMatchObject({ path: 'items[1].sku' })
    expect(nestedError.message).toContain('items[1].sku')
    expect(await logEnd(rv, 'orders')).toEqual([0n])
  })

  it('refuses a whole array when one record is bad: nothing of the call is sent', async () => {
    const rv = await embedded()
    await rv.admin.createTopic(orders, { partitions: 1 })
    const producer = rv.producer()
    const records = [
      { key: 'a', value: order('a', 1) },
      { key: 'b', value: { user: 'b' } as unknown as Order },
      { key: 'c', value: order('c', 3) },
    ]
    const error = await rejectionOf(producer.send(orders, records))
    expect(error._tag).toBe('SerializationError')
    expect(error.message).toMatch(/amount|items/)
    await producer.flush()
    expect(await logEnd(rv, 'orders')).toEqual([0n])

    const keyError = await rejectionOf(producer.send(orders, { key: 42 as unknown as string, value: order('x', 1) }))
    expect(keyError).toMatchObject({ _tag: 'SerializationError', target: 'key' })
  })
})

describe('a record that does not decode at consume', () => {
  /** Five records written raw to `orders`: good, not an Order (1), good, not JSON (3), good. */
  const withBadRecord = async () => {
    const rv = await embedded()
    await rv.admin.createTopic('orders', { partitions: 1 })
    await rv.producer().send('orders', [
      { key: 'a', value: JSON.stringify(order('a', 1)) },
      { key: 'b', value: JSON.stringify({ user: 'b', amount: 'much', items: [] }), headers: { origin: 'legacy' } },
      { key: 'c', value: JSON.stringify(order('c', 3)) },
      { key: 'd', value: 'not json at all' },
      { key: 'e', value: JSON.stringify(order('e', 5)) },
    ])
    return rv
  }
  const recordingLogger = () => {
    const lines: { message: string; fields?: Readonly<Record<string, unknown>> }[] = []
    const logger: ClientLogger = { warn: (message, fields) => lines.push({ message, fields }) }
    return { lines, logger }
  }

  const delivered: string[] = []
  afterEach(() => {
    delivered.length = 0
  })
  /** Subscribes from the earliest offset, noting each key delivered; resolves with the error. */
  const failureOf = (consumer: Consumer) =>
    new Promise<Error & { _tag?: string }>((resolve, reject) => {
      consumer.subscribe(orders, { from: 'earliest' }).subscribe({
        next: (record) => delivered.push(record.key!),
        error: resolve,
        complete: () => reject(new Error('completed instead of failing')),
      })
    })

  it("'fail' (the default) errors the Observable with a RecordDecodeError naming the record and field", async () => {
    const rv = await withBadRecord()
    const error = await failureOf(rv.consumer())
    expect(error._tag).toBe('RecordDecodeError')
    expect(error).toMatchObject({ topic: 'orders', partition: 0, offset: 1n })
    expect(error.message).toContain('record 1 of orders-0')
    expect(error.message).toContain('amount')
    expect(delivered).toEqual(['a'])
  })

  it("'skip' logs each bad record with its offset and delivers the rest", async () => {
    const rv = await withBadRecord()
    const { lines, logger } = recordingLogger()
    const records = await readRecords(rv, orders, 3, { onDecodeError: 'skip', logger })
    expect(records.map((r) => [r.offset, r.key])).toEqual([
      [0n, 'a'],
      [2n, 'c'],
      [4n, 'e'],
    ])
    expect(lines.map((line) => line.fields)).toEqual([
      { topic: 'orders', partition: 0, offset: 1n },
      { topic: 'orders', partition: 0, offset: 3n },
    ])
    expect(lines[0].message).toContain('amount')
    expect(lines[1].message).toContain('not JSON')
  })

  it('{ deadLetterTopic } sends each bad record there as fetched, with why, and delivers the rest', async () => {
    const rv = await withBadRecord()
    await rv.admin.createTopic('orders.dlq', { partitions: 1 })
    const { lines, logger } = recordingLogger()
    const consumer = rv.consumer({ onDecodeError: { deadLetterTopic: 'orders.dlq' }, logger })
    const good = await firstValueFrom(consumer.subscribe(orders, { from: 'earliest' }).pipe(take(3), toArray(), timeout(5_000)))
    expect(good.map((r) => r.key)).toEqual(['a', 'c', 'e'])
    await consumer.close()
    expect(lines).toHaveLength(2)

    const dead = await readRecords(rv, 'orders.dlq', 2)
    expect(dead.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual([
      ['b', JSON.stringify({ user: 'b', amount: 'much', items: [] })],
      ['d', 'not json at all'],
    ])
    const headers = (i: number) => Object.fromEntries(dead[i].headers.map((h) => [h.key, h.value?.toString()]))
    expect(headers(0)).toMatchObject({
      origin: 'legacy',
      'rivulet.error.topic': 'orders',
      'rivulet.error.partition': '0',
      'rivulet.error.offset': '1',
      'rivulet.error.target': 'value',
    })
    expect(headers(0)['rivulet.error.message']).toContain('amount')
    expect(headers(1)).toMatchObject({ 'rivulet.error.offset': '3' })
    expect(headers(1)['rivulet.error.message']).toContain('not JSON')
  })

  it('{ deadLetterTopic } naming a topic that does not exist errors the Observable: the record is not lost quietly', async () => {
    const rv = await withBadRecord()
    const { logger } = recordingLogger()
    const error = await failureOf(rv.consumer({ onDecodeError: { deadLetterTopic: 'missing.dlq' }, logger }))
    expect(error._tag).toBe('UnknownTopicError')
    expect(error.message).toContain('missing.dlq')
    expect(delivered).toEqual(['a'])
  })
})
