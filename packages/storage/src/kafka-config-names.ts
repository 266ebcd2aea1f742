/**
 * Kafka's topic config names (`retention.ms`, `cleanup.policy`, ...) for the log config's own
 * (`retentionMs`, `cleanupPolicy`, ...), so a Kafka user's `--config retention.ms=3600000` or
 * config file works as written. Only names whose meaning is the same as a Rivulet setting map;
 * a Kafka setting Rivulet does not have is refused by name rather than silently ignored.
 * Kafka's values are strings, so a dotted name's numeric setting also takes a string of digits.
 */
import { InvalidLogConfigError } from './errors.js'
import type { LogConfig, LogConfigInput } from './log-config.js'

type Translate = (value: unknown, key: string) => unknown

const integerText = /^-?\d+$/
const number: Translate = (value) => (typeof value === 'string' && integerText.test(value.trim()) ? Number(value.trim()) : value)

const cleanupPolicy: Translate = (value) => {
  if (typeof value !== 'string') return value
  const parts = value.split(',').map((part) => part.trim())
  return parts.length === 2 && parts.includes('compact') && parts.includes('delete') ? 'compact,delete' : value
}

const flushMessages: Translate = (value, key) => {
  if (number(value, key) === 1) return 'every-batch'
  const reason = 'Rivulet fsyncs every batch (flush.messages=1), every N ms (flush.ms=N), or leaves it to the OS (flush=os); other counts are not supported'
  throw new InvalidLogConfigError({ key, value, reason })
}

const flushMs: Translate = (value, key) => {
  const ms = number(value, key)
  return typeof ms === 'number' ? { everyMs: ms } : value
}

/** Kafka name -> the log config key it sets and how its value reads. */
const kafkaNames = {
  'segment.bytes': ['segmentBytes', number],
  'segment.ms': ['segmentMs', number],
  'retention.ms': ['retentionMs', number],
  'retention.bytes': ['retentionBytes', number],
  'index.interval.bytes': ['indexIntervalBytes', number],
  'max.message.bytes': ['maxBatchBytes', number],
  'cleanup.policy': ['cleanupPolicy', cleanupPolicy],
  'delete.retention.ms': ['deleteRetentionMs', number],
  'flush.messages': ['flush', flushMessages],
  'flush.ms': ['flush', flushMs],
} as const satisfies { readonly [name: string]: readonly [keyof LogConfig, Translate] }

export type KafkaLogConfigName = keyof typeof kafkaNames

/** Kafka topic configs Rivulet has no setting for (yet): refused by name, never dropped. */
const unsupportedKafkaNames = new Set([
  'compression.type',
  'file.delete.delay.ms',
  'follower.replication.throttled.replicas',
  'leader.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'max.compaction.lag.ms',
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.difference.max.ms',
  'message.timestamp.type',
  'min.cleanable.dirty.ratio',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'preallocate',
  'remote.storage.enable',
  'segment.index.bytes',
  'segment.jitter.ms',
  'unclean.leader.election.enable',
])

/** The Kafka names that map, for error messages and `--help`. */
export const kafkaLogConfigNames = Object.keys(kafkaNames) as readonly KafkaLogConfigName[]

/**
 * `input` with every Kafka name replaced by the log config key it means (null, which drops an
 * override, stays null). A Kafka name Rivulet lacks, or one setting given under two names
 * (`retention.ms` and `retentionMs`; `flush.ms` and `flush`), is an InvalidLogConfigError.
 * Keys that are neither are left for the decoder to accept or refuse.
 */
export const withLogConfigKeys = (input: LogConfigInput): LogConfigInput => translateLogConfigKeys(input).config

/** withLogConfigKeys, and for each setting the name it was given under (for error messages). */
export const translateLogConfigKeys = (input: LogConfigInput): { readonly config: LogConfigInput; readonly givenAs: ReadonlyMap<string, string> } => {
  if (typeof input !== 'object' || input === null || !Object.keys(input).some((key) => key.includes('.'))) return { config: input, givenAs: new Map() }
  const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  const givenAs = new Map<string, string>()
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    let target = key
    let translated: unknown = value
    if (Object.prototype.hasOwnProperty.call(kafkaNames, key)) {
      const [setting, translate] = kafkaNames[key as KafkaLogConfigName]
      target = setting
      translated = value === null ? null : translate(value, key)
    } else if (unsupportedKafkaNames.has(key)) {
      throw new InvalidLogConfigError({ key, value, reason: 'a Kafka topic config Rivulet does not support' })
    }
    const earlier = givenAs.get(target)
    if (earlier !== undefined) {
      throw new InvalidLogConfigError({ key, value, reason: `sets ${target}, which "${earlier}" sets already: give one of them` })
    }
    givenAs.set(target, key)
    result[target] = translated
  }
  return { config: result as LogConfigInput, givenAs }
}
