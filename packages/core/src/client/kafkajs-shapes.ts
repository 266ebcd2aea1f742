/**
 * KafkaJS habits caught at the client edge. KafkaJS takes one object per call
 * (`producer.send({ topic, messages })`, `consumer.subscribe({ topics, fromBeginning })`,
 * `admin.createTopics({ topics })`); Rivulet takes the topic first. Given such an object where a
 * topic belongs, the call fails with the Rivulet call to make instead, not a confusing
 * "topic undefined".
 */
import { Data } from 'effect'

export class KafkaJsStyleCallError extends Data.TaggedError('KafkaJsStyleCallError')<{
  readonly call: string
  /** The KafkaJS shape recognised, as `{ topic, messages }`. */
  readonly shape: string
  /** The Rivulet call that does it. */
  readonly instead: string
}> {
  override get message(): string {
    return `${this.call}() got a KafkaJS-style ${this.shape} object; Rivulet's call is ${this.instead}`
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const quoted = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : "'orders'")

const topicsOf = (value: Record<string, unknown>): string => {
  const topics = Array.isArray(value.topics) ? value.topics : value.topic === undefined ? [] : [value.topic]
  const names = topics.map((topic) => (typeof topic === 'string' ? `'${topic}'` : isObject(topic) && typeof topic.topic === 'string' ? `'${topic.topic}'` : '…'))
  return names.length === 1 ? names[0]! : `[${names.length === 0 ? "'orders'" : names.join(', ')}]`
}

const shapeOf = (value: Record<string, unknown>, keys: readonly string[]): string => `{ ${keys.filter((key) => key in value).join(', ')} }`

/**
 * The KafkaJSStyleCallError for `value` given as the topic of `call`, or undefined when it does
 * not look like a KafkaJS argument. `call` is the Rivulet call (send, subscribe, createTopic...).
 */
export const kafkaJsStyleCall = (call: string, value: unknown): KafkaJsStyleCallError | undefined => {
  if (!isObject(value) || typeof value.name === 'string') return undefined
  switch (call) {
    case 'send':
      if (!('messages' in value) && !('topic' in value)) return undefined
      return new KafkaJsStyleCallError({
        call: 'producer.send',
        shape: shapeOf(value, ['topic', 'messages', 'acks', 'timeout', 'compression']),
        instead: `producer.send(${quoted(value.topic)}, [{ key, value, headers }]): the topic first, then one record or an array (KafkaJS's messages); acks is a producer option (rv.producer({ acks }))`,
      })
    case 'subscribe':
      if (!('topics' in value) && !('topic' in value)) return undefined
      return new KafkaJsStyleCallError({
        call: 'consumer.subscribe',
        shape: shapeOf(value, ['topic', 'topics', 'fromBeginning']),
        instead:
          `consumer.subscribe(${topicsOf(value)}${value.fromBeginning === true ? ", { from: 'earliest' }" : ''}), which returns an Observable of records` +
          " (KafkaJS's run({ eachMessage }) is .pipe(concatMap(handle), commitOffsets()).subscribe()); in a group, fromBeginning is rv.consumer({ groupId, autoOffsetReset: 'earliest' })",
      })
    case 'createTopic':
      if (!('topics' in value)) return undefined
      return new KafkaJsStyleCallError({
        call: 'admin.createTopic',
        shape: shapeOf(value, ['topics', 'validateOnly', 'waitForLeaders', 'timeout']),
        instead: "admin.createTopic('orders', { partitions, config }) once per topic (KafkaJS's numPartitions is partitions, configEntries is config: { 'retention.ms': '3600000' })",
      })
    default:
      return undefined
  }
}
