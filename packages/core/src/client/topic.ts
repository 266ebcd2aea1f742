/**
 * Topic handles: a name plus the serdes of its keys and values, used by send, produce() and
 * subscribe so that the types follow the topic.
 *
 *   const orders = topic('orders', { key: Serde.string, value: Serde.schema(Order) })
 *
 * A plain topic name is untyped: keys and values go in as string | Buffer | Uint8Array | null
 * (strings as UTF-8) and come out as Buffers, views into the fetched batch (no copy).
 */
import type { Serde, SerdeContext } from '../serde/serde.js'
import { SerializationError } from '../serde/errors.js'
import { validateTopicName } from '../topic-name.js'
import { InvalidArgumentError } from './errors.js'
import { kafkaJsStyleCall } from './kafkajs-shapes.js'

export interface Topic<K, V> {
  readonly name: string
  readonly key: Serde<K>
  readonly value: Serde<V>
}

/** What an untyped topic accepts as a key or value. */
export type RawInput = string | Buffer | Uint8Array | null

/** A topic name (untyped) or a typed handle. */
export type TopicLike = string | Topic<any, any>

/** The key type a send to `T` takes. */
export type KeyIn<T extends TopicLike> = T extends Topic<infer K, any> ? K : RawInput
export type ValueIn<T extends TopicLike> = T extends Topic<any, infer V> ? V : RawInput
/** The key type a consumer of `T` gets (null aside). */
export type KeyOut<T extends TopicLike> = T extends Topic<infer K, any> ? K : Buffer
export type ValueOut<T extends TopicLike> = T extends Topic<any, infer V> ? V : Buffer

/** A typed handle for topic `name`; a serde not given is Buffers in and out. Checks the name. */
export const topic = <K = Buffer, V = Buffer>(
  name: string,
  serdes: { readonly key?: Serde<K>; readonly value?: Serde<V> } = {},
): Topic<K, V> => {
  validateTopicName(name)
  return {
    name,
    key: serdes.key ?? (rawSerde as unknown as Serde<K>),
    value: serdes.value ?? (rawSerde as unknown as Serde<V>),
  }
}

/** Bytes as given (strings as UTF-8); Buffers back, as views. */
export const rawSerde: Serde<RawInput> = {
  serialize(value, context: SerdeContext) {
    if (value === null || value === undefined) return null
    if (Buffer.isBuffer(value)) return value
    if (typeof value === 'string') return Buffer.from(value, 'utf8')
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    const message = `expected a string, Buffer, Uint8Array or null, got ${typeof value}`
    throw new SerializationError({ topic: context.topic, target: context.target, path: '', issues: [{ path: '', message }] })
  },
  deserialize: (bytes) => bytes,
}

/** The name of a topic handle or name. */
export const topicName = (topic: TopicLike): string => (typeof topic === 'string' ? topic : topic.name)

/** The handle a name stands for: untyped, raw serdes. */
export const resolveTopic = (topic: TopicLike, call = 'send'): Topic<unknown, unknown> => {
  if (typeof topic !== 'string') {
    if (typeof topic === 'object' && topic !== null && typeof topic.name === 'string') return topic
    const kafkaJs = kafkaJsStyleCall(call, topic)
    if (kafkaJs !== undefined) throw kafkaJs
    throw new InvalidArgumentError({ call, argument: 'topic', value: topic, allowed: 'a topic name (a string) or a topic handle from topic()' })
  }
  validateTopicName(topic)
  return { name: topic, key: rawSerde as Serde<unknown>, value: rawSerde as Serde<unknown> }
}

/** Whether the handle's serdes are the raw ones: consumers then skip calling them per record. */
export const isRaw = (serde: Serde<unknown>): boolean => serde === (rawSerde as Serde<unknown>)
