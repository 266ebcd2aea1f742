/**
 * A broker's configuration, decoded once at the boundary (code, a CLI flag, a JSON file) with
 * Schema and trusted inside from then on. A bad or unknown setting is an InvalidBrokerConfigError
 * naming it; a bad topic default names its key under `defaultTopicConfig.`.
 */
import { decodeLogConfig, defaultLogConfig, InvalidLogConfigError, type LogConfig, type LogConfigInput } from '@rivulet/storage'
import { type ConfigFields, decodeConfigFields } from '@rivulet/storage/internal'
import { Schema } from 'effect'
import { InvalidBrokerConfigError } from './broker-errors.js'

export interface BrokerConfig {
  /** Where the partition logs (`<topic>-<n>`) and the broker's own files (`__cluster/`) live. */
  readonly dataDir: string
  readonly clusterId: string
  readonly nodeId: number
  /** Whether Metadata with `autoCreate` creates an unknown topic. */
  readonly autoCreateTopics: boolean
  /** Partition count of an auto-created topic. */
  readonly defaultPartitions: number
  /** The log config every topic starts from; a topic's overrides are laid over it. */
  readonly defaultTopicConfig: LogConfig
  /** How often each partition runs retention, compaction and a producer-state snapshot. */
  readonly retentionCheckIntervalMs: number
  /** Partitions of `__consumer_offsets` when the broker creates it (an existing topic keeps its count). */
  readonly offsetsTopicPartitions: number
  /** Segment size of `__consumer_offsets`: compaction cleans only closed segments. */
  readonly offsetsTopicSegmentBytes: number
  /** How often group members are told to heartbeat when nothing prompts them sooner. */
  readonly groupHeartbeatIntervalMs: number
  /** The session timeouts a group member may ask for. */
  readonly groupMinSessionTimeoutMs: number
  readonly groupMaxSessionTimeoutMs: number
  /** The most partitions one topic may have (a request for more is a TooManyPartitionsError). */
  readonly maxPartitionsPerTopic: number
}

export interface BrokerConfigInput {
  readonly dataDir: string
  /** Default 'local'. */
  readonly clusterId?: string
  /** Default 0. */
  readonly nodeId?: number
  /** Default false. */
  readonly autoCreateTopics?: boolean
  /** Default 1. */
  readonly defaultPartitions?: number
  /** Laid over storage's defaults (7-day retention, fsync every batch, ...). */
  readonly defaultTopicConfig?: LogConfigInput
  /** Default 300000 (5 minutes). */
  readonly retentionCheckIntervalMs?: number
  /** Default 10. */
  readonly offsetsTopicPartitions?: number
  /** Default 104857600 (100 MiB, Kafka's offsets.topic.segment.bytes). */
  readonly offsetsTopicSegmentBytes?: number
  /** Default 3000. */
  readonly groupHeartbeatIntervalMs?: number
  /** Default 1000. */
  readonly groupMinSessionTimeoutMs?: number
  /** Default 1800000 (30 minutes). */
  readonly groupMaxSessionTimeoutMs?: number
  /** Default 10000. */
  readonly maxPartitionsPerTopic?: number
}

type ScalarKey = Exclude<keyof BrokerConfig, 'defaultTopicConfig'>

const NonNegativeInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
const PositiveInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0))
// Positions inside a segment are 32-bit, as in Kafka.
const SegmentSize = PositiveInt.check(Schema.isLessThanOrEqualTo(2 ** 31 - 1))

const fieldSchemas: { readonly [K in ScalarKey]: Schema.Codec<BrokerConfig[K], unknown> } = {
  dataDir: Schema.NonEmptyString,
  clusterId: Schema.NonEmptyString,
  nodeId: NonNegativeInt,
  autoCreateTopics: Schema.Boolean,
  defaultPartitions: PositiveInt,
  retentionCheckIntervalMs: PositiveInt,
  offsetsTopicPartitions: PositiveInt,
  offsetsTopicSegmentBytes: SegmentSize,
  groupHeartbeatIntervalMs: PositiveInt,
  groupMinSessionTimeoutMs: PositiveInt,
  groupMaxSessionTimeoutMs: PositiveInt,
  // Each partition holds at least 3 descriptors and a directory: a million is already absurd.
  maxPartitionsPerTopic: PositiveInt.check(Schema.isLessThanOrEqualTo(1_000_000)),
} as never

const defaults: Omit<BrokerConfig, 'dataDir'> = {
  clusterId: 'local',
  nodeId: 0,
  autoCreateTopics: false,
  defaultPartitions: 1,
  defaultTopicConfig: defaultLogConfig,
  retentionCheckIntervalMs: 300_000,
  offsetsTopicPartitions: 10,
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  groupHeartbeatIntervalMs: 3000,
  groupMinSessionTimeoutMs: 1000,
  groupMaxSessionTimeoutMs: 1_800_000,
  maxPartitionsPerTopic: 10_000,
}

/**
 * Decodes a broker config over the defaults; `dataDir` is the one required setting. `extraKnown`
 * names settings the caller took out before (Rivulet.embedded's own), so an unknown key's
 * suggestion and list include them.
 */
export const decodeBrokerConfig = (input: unknown, extraKnown: readonly string[] = []): BrokerConfig => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidBrokerConfigError({ key: '(config)', value: input, reason: 'expected an object' })
  }
  const given = input as Record<string, unknown>
  if (given.dataDir === undefined) {
    throw new InvalidBrokerConfigError({ key: 'dataDir', value: undefined, reason: 'required: the directory the broker keeps its data in' })
  }
  const shape: ConfigFields = {
    what: 'setting',
    whole: '(config)',
    fields: fieldSchemas as never,
    custom: { defaultTopicConfig: decodeTopicDefaults },
    alsoKnown: extraKnown,
  }
  const decoded = decodeConfigFields(shape, given, (key, value, reason) => new InvalidBrokerConfigError({ key, value, reason }))
  const config = { ...defaults, ...decoded } as BrokerConfig
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new InvalidBrokerConfigError({
      key: 'groupMinSessionTimeoutMs',
      value: config.groupMinSessionTimeoutMs,
      reason: `must not exceed groupMaxSessionTimeoutMs (${config.groupMaxSessionTimeoutMs})`,
    })
  }
  for (const key of ['defaultPartitions', 'offsetsTopicPartitions'] as const) {
    if (config[key] > config.maxPartitionsPerTopic) {
      throw new InvalidBrokerConfigError({ key, value: config[key], reason: `must not exceed maxPartitionsPerTopic (${config.maxPartitionsPerTopic})` })
    }
  }
  return config
}

const decodeTopicDefaults = (value: unknown): LogConfig => {
  try {
    return decodeLogConfig(value as LogConfigInput)
  } catch (error) {
    if (!(error instanceof InvalidLogConfigError)) throw error
    throw new InvalidBrokerConfigError({ key: `defaultTopicConfig.${error.key}`, value: error.value, reason: error.reason })
  }
}
