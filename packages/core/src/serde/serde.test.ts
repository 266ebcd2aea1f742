import { fc, test } from '@fast-check/vitest'
import { Schema } from 'effect'
import { describe, expect, it } from 'vitest'
import { DeserializationError, SerializationError } from './errors.js'
import { Serde, type SerdeContext } from './serde.js'

const value: SerdeContext = { topic: 'orders', target: 'value' }
const key: SerdeContext = { topic: 'orders', target: 'key' }

const Order = Schema.Struct({
  id: Schema.String,
  amount: Schema.Number,
  items: Schema.Array(Schema.Struct({ sku: Schema.String, quantity: Schema.Int })),
})

describe('Serde.bytes and Serde.string', () => {
  it('passes bytes through untouched, null included', () => {
    const bytes = Buffer.from([0, 255, 7])
    expect(Serde.bytes.serialize(bytes, value)).toBe(bytes)
    expect(Serde.bytes.deserialize(bytes, value)).toBe(bytes)
    expect(Serde.bytes.serialize(null, value)).toBeNull()
  })

  test.prop([fc.string({ unit: 'grapheme' })])('round-trips text as UTF-8', (text) => {
    const bytes = Serde.string.serialize(text, key)
    expect(bytes).toEqual(Buffer.from(text, 'utf8'))
    expect(Serde.string.deserialize(bytes, key)).toBe(text)
  })

  it('maps a tombstone to null and refuses a non-string from untyped callers', () => {
    expect(Serde.string.serialize(null, value)).toBeNull()
    expect(Serde.string.deserialize(null, value)).toBeNull()
    expect(() => Serde.string.serialize(42 as unknown as string, key)).toThrow(
      'cannot serialize the key for topic "orders": expected a string, got number',
    )
  })
})

describe('Serde.json', () => {
  test.prop([fc.jsonValue()])('round-trips any JSON value', (json) => {
    const serde = Serde.json<unknown>()
    // JSON has no -0: it comes back as 0, as it would from any JSON consumer.
    expect(serde.deserialize(serde.serialize(json, value), value)).toEqual(JSON.parse(JSON.stringify(json)))
  })

  it('fails on values with no JSON form and on bytes that are not JSON', () => {
    const serde = Serde.json<unknown>()
    expect(() => serde.serialize({ n: 1n }, value)).toThrow(SerializationError)
    expect(() => serde.serialize(() => 1, value)).toThrow('function has no JSON form')
    const error = (() => {
      try {
        serde.deserialize(Buffer.from('{"a":'), value)
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(DeserializationError)
    expect(error).toMatchObject({ topic: 'orders', target: 'value', path: '' })
    expect(serde.deserialize(null, value)).toBeNull()
  })
})

describe('Serde.schema', () => {
  const serde = Serde.schema(Order)
  const order = { id: 'o1', amount: 12.5, items: [{ sku: 'a', quantity: 2 }] }

  it('round-trips a valid value as JSON', () => {
    const bytes = serde.serialize(order, value)
    expect(JSON.parse((bytes as Buffer).toString('utf8'))).toEqual(order)
    expect(serde.deserialize(bytes, value)).toEqual(order)
    expect(serde.serialize(null, value)).toBeNull()
    expect(serde.deserialize(null, value)).toBeNull()
  })

  it('names the field and the topic when bytes do not decode', () => {
    const bad = Buffer.from(JSON.stringify({ id: 'o1', amount: 'ten', items: [{ sku: 'a', quantity: 1.5 }] }))
    let error: unknown
    try {
      serde.deserialize(bad, value)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(DeserializationError)
    expect(error).toMatchObject({ _tag: 'DeserializationError', topic: 'orders', target: 'value', path: 'amount' })
    expect((error as DeserializationError).issues.map((issue) => issue.path)).toEqual(['amount', 'items[0].quantity'])
    expect((error as Error).message).toMatch(/^cannot deserialize the value from topic "orders": at amount: Expected number/)
    expect((error as Error).message).toContain('at items[0].quantity: ')
  })

  it('validates on serialize, naming the field', () => {
    const invalid = { id: 'o1', amount: 1, items: [{ sku: 3, quantity: 1 }] } as unknown as typeof Order.Type
    expect(() => serde.serialize(invalid, key)).toThrow(SerializationError)
    expect(() => serde.serialize(invalid, key)).toThrow(/^cannot serialize the key for topic "orders": at items\[0\]\.sku: Expected string/)
  })

  it('reports a missing field and bytes that are not JSON', () => {
    expect(() => serde.deserialize(Buffer.from('{"amount":1,"items":[]}'), value)).toThrow(/at id: Missing key/)
    expect(() => serde.deserialize(Buffer.from('not json'), value)).toThrow(/from topic "orders": not JSON/)
  })

  it('uses the schema’s encoded side as the JSON form', () => {
    const Event = Schema.Struct({ count: Schema.NumberFromString, at: Schema.Date })
    const events = Serde.schema(Schema.toCodecJson(Event))
    const event = { count: 3, at: new Date('2024-01-02T03:04:05.000Z') }
    const bytes = events.serialize(event, value)
    expect(events.deserialize(bytes, value)).toEqual(event)
    const plain = Serde.schema(Schema.Struct({ count: Schema.NumberFromString }))
    expect((plain.serialize({ count: 3 }, value) as Buffer).toString()).toBe('{"count":"3"}')
  })
})
