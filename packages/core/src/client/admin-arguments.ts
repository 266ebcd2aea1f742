/**
 * The shapes Admin's calls take, checked at the client edge so a wrong type is an
 * InvalidArgumentError naming the argument instead of a TypeError deep inside the broker. Values
 * the broker decides on (partition counts, log config values) are left to its own typed errors.
 */
import { decodeLogConfig } from '@rivulet/storage'
import { isKnownKey, unknownKeyReason } from '@rivulet/storage/internal'
import type { TopicConfig } from '../broker/broker-protocol.js'
import { InvalidArgumentError } from './errors.js'
import { kafkaJsStyleCall } from './kafkajs-shapes.js'
import type { TopicLike } from './topic.js'

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The name of a topic argument: a string or a handle from topic(). */
export const topicArgument = (call: string, topic: TopicLike): string => {
  if (typeof topic === 'string') return topic
  if (isPlainObject(topic) && typeof topic.name === 'string') return topic.name
  const kafkaJs = kafkaJsStyleCall(call, topic)
  if (kafkaJs !== undefined) throw kafkaJs
  throw new InvalidArgumentError({ call, argument: 'topic', value: topic, allowed: 'a topic name (a string) or a topic handle from topic()' })
}

/**
 * A topic config (overrides of the broker's defaults; null drops one in alterTopicConfig). Keys
 * are checked here against the log config's, own keys only, so `__proto__` or `constructor`
 * from parsed JSON cannot slip through a plain object's prototype; values are the broker's to decode.
 */
export const topicConfigArgument = (call: string, argument: string, config: unknown): TopicConfig => {
  if (!isPlainObject(config)) throw new InvalidArgumentError({ call, argument, value: config, allowed: 'an object of log config settings' })
  const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== null))
  decodeLogConfig(given)
  return config as TopicConfig
}

const createTopicKeys = ['partitions', 'replicationFactor', 'config', 'ifNotExists']

export interface CreateTopicArguments {
  readonly partitions: number | undefined
  readonly config: TopicConfig
  readonly ifNotExists: boolean
}

/**
 * createTopic's options. Without them (or without `partitions`) the broker's defaultPartitions
 * is used, as Kafka's CreateTopics does with num_partitions -1. `replicationFactor` may be 1 or
 * -1 (the broker's default): a single node holds one replica of each partition.
 */
export const createTopicArguments = (options: unknown): CreateTopicArguments => {
  const call = 'createTopic'
  if (options === undefined) return { partitions: undefined, config: {}, ifNotExists: false }
  if (!isPlainObject(options)) {
    throw new InvalidArgumentError({ call, argument: 'options', value: options, allowed: 'an object { partitions?, replicationFactor?, config?, ifNotExists? }, or nothing' })
  }
  for (const key of Object.keys(options)) {
    if (!createTopicKeys.includes(key) || !isKnownKey(options, key)) {
      throw new InvalidArgumentError({ call, argument: `options.${key}`, value: options[key], allowed: unknownKeyReason('option', key, createTopicKeys) })
    }
  }
  const { partitions, replicationFactor, config, ifNotExists } = options
  if (ifNotExists !== undefined && typeof ifNotExists !== 'boolean') {
    throw new InvalidArgumentError({ call, argument: 'options.ifNotExists', value: ifNotExists, allowed: 'true or false' })
  }
  if (partitions !== undefined && typeof partitions !== 'number') {
    throw new InvalidArgumentError({ call, argument: 'options.partitions', value: partitions, allowed: 'a positive integer, or nothing for the broker\'s default' })
  }
  if (replicationFactor !== undefined && replicationFactor !== 1 && replicationFactor !== -1) {
    const allowed = '1, or -1 for the broker\'s default: a single node holds one replica of each partition'
    throw new InvalidArgumentError({ call, argument: 'options.replicationFactor', value: replicationFactor, allowed })
  }
  return { partitions, config: config === undefined ? {} : topicConfigArgument(call, 'options.config', config), ifNotExists: ifNotExists === true }
}
