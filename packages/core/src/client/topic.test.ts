import { describe, expect, it } from 'vitest'
import { SerializationError } from '../serde/errors.js'
import { Serde } from '../serde/serde.js'
import { InvalidTopicNameError } from '../topic-name.js'
import { isRaw, rawSerde, resolveTopic, topic, topicName } from './topic.js'

const context = { topic: 't', target: 'value' } as const

describe('topic handles', () => {
  it('takes strings, Buffers and Uint8Arrays untyped, and gives Buffers back as they are', () => {
    expect(rawSerde.serialize('héllo', context)).toEqual(Buffer.from('héllo', 'utf8'))
    const buffer = Buffer.from('x')
    expect(rawSerde.serialize(buffer, context)).toBe(buffer)
    const bytes = new Uint8Array([1, 2, 3, 4]).subarray(1, 3)
    const view = rawSerde.serialize(bytes, context)!
    expect([...view]).toEqual([2, 3])
    expect(view.buffer).toBe(bytes.buffer)
    expect(rawSerde.serialize(null, context)).toBeNull()
    expect(() => rawSerde.serialize(42 as never, context)).toThrow(SerializationError)
    expect(rawSerde.deserialize(buffer, context)).toBe(buffer)
  })

  it('types a topic with its serdes, raw where none is given, and checks the name', () => {
    const orders = topic('orders', { key: Serde.string })
    expect(orders.key).toBe(Serde.string)
    expect(isRaw(orders.value as never)).toBe(true)
    expect(topicName(orders)).toBe('orders')
    expect(() => topic('bad name')).toThrow(InvalidTopicNameError)
    expect(() => resolveTopic('')).toThrow(InvalidTopicNameError)
    expect(isRaw(resolveTopic('plain').key)).toBe(true)
    expect(resolveTopic(orders)).toBe(orders)
  })
})
