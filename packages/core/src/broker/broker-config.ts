/**
 * A broker's configuration, decoded once at the boundary (code, a CLI flag, a JSON file) with
 * Schema and trusted inside from then on. A bad or unknown setting is an InvalidBrokerConfigError
 * naming it; a bad topic default names its key under `defaultTopicConfig.`.
 */
import { decodeLogConfig, defaultLogConfig, InvalidLogConfigError, type LogConfig, type LogConfigInput } from '@rivulet/storage'
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
}

type ScalarKey = Exclude<keyof BrokerConfig, 'defaultTopicConfig'>

const NonNegativeInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
const PositiveInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0))

const fieldSchemas: { readonly [K in ScalarKey]: Schema.Codec<BrokerConfig[K], unknown> } = {
  dataDir: Schema.NonEmptyString,
  clusterId: Schema.NonEmptyString,
  nodeId: NonNegativeInt,
  autoCreateTopics: Schema.Boolean,
  defaultPartitions: PositiveInt,
  retentionCheckIntervalMs: PositiveInt,
} as never

const defaults: Omit<BrokerConfig, 'dataDir'> = {
  clusterId: 'local',
  nodeId: 0,
  autoCreateTopics: false,
  defaultPartitions: 1,
  defaultTopicConfig: defaultLogConfig,
  retentionCheckIntervalMs: 300_000,
}

/** Decodes a broker config over the defaults; `dataDir` is the one required setting. */
export const decodeBrokerConfig = (input: unknown): BrokerConfig => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidBrokerConfigError({ key: '(config)', value: input, reason: 'expected an object' })
  }
  const given = input as Record<string, unknown>
  if (given.dataDir === undefined) {
    throw new InvalidBrokerConfigError({ key: 'dataDir', value: undefined, reason: 'required: the directory the broker keeps its data in' })
  }
  const decoded: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue
    if (key === 'defaultTopicConfig') {
      decoded[key] = decodeTopicDefaults(value)
      continue
    }
    const schema = (fieldSchemas as Record<string, Schema.Codec<unknown, unknown>>)[key]
    if (schema === undefined) {
      const known = [...Object.keys(fieldSchemas), 'defaultTopicConfig'].join(', ')
      throw new InvalidBrokerConfigError({ key, value, reason: `unknown setting (known: ${known})` })
    }
    try {
      decoded[key] = Schema.decodeUnknownSync(schema)(value)
    } catch (cause) {
      const reason = cause instanceof Error ? (cause.message.split('\n')[0] as string) : String(cause)
      throw new InvalidBrokerConfigError({ key, value, reason })
    }
  }
  return decoded as unknown as BrokerConfig
}

const decodeTopicDefaults = (value: unknown): LogConfig => {
  try {
    return decodeLogConfig(value as LogConfigInput)
  } catch (error) {
    if (!(error instanceof InvalidLogConfigError)) throw error
    throw new InvalidBrokerConfigError({ key: `defaultTopicConfig.${error.key}`, value: error.value, reason: error.reason })
  }
}
