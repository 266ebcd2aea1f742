/**
 * A partition log's configuration: decoded once, at the boundary, from whatever the caller gave
 * (code, a topic's config overrides, a CLI flag), and trusted inside the log from then on.
 */
import { Schema } from 'effect'
import { InvalidLogConfigError } from './errors.js'
import { type KafkaLogConfigName, kafkaLogConfigNames, translateLogConfigKeys } from './kafka-config-names.js'
import { type ConfigFields, decodeConfigFields } from './config-fields.js'

export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB
const DAY_MS = 24 * 60 * 60 * 1000

/**
 * When appended bytes are forced to disk before an append resolves.
 * - 'every-batch': fsync before each append resolves (concurrent appends share one fsync).
 * - { everyMs }: fsync at most every `everyMs` ms; appends resolve once written to the OS.
 * - 'os': never fsync on append; the OS writes back when it likes (close still fsyncs).
 */
export type FlushPolicy = 'every-batch' | 'os' | { readonly everyMs: number }

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete'

export interface LogConfig {
  /** A segment rolls when appending would take it past this size. */
  readonly segmentBytes: number
  /** A segment rolls when its first batch is older than this; -1 never. */
  readonly segmentMs: number
  /** Segments whose newest record is older than this are deleted; -1 keeps them forever. */
  readonly retentionMs: number
  /** Oldest segments are deleted while the log is bigger than this; -1 no limit. */
  readonly retentionBytes: number
  /** Bytes appended between two entries of the sparse offset and time indexes. */
  readonly indexIntervalBytes: number
  readonly flush: FlushPolicy
  /** A batch bigger than this is refused and nothing is written. */
  readonly maxBatchBytes: number
  readonly cleanupPolicy: CleanupPolicy
  /** How long compaction keeps a tombstone (a record with a null value) before removing it. */
  readonly deleteRetentionMs: number
}

/** The log config's own names, or Kafka's (`retention.ms`): see kafka-config-names.ts. */
export type LogConfigInput = { readonly [K in keyof LogConfig]?: unknown } & { readonly [K in KafkaLogConfigName]?: unknown }

export const defaultLogConfig: LogConfig = {
  segmentBytes: 1 * GiB,
  segmentMs: 7 * DAY_MS,
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  indexIntervalBytes: 4 * KiB,
  flush: 'every-batch',
  maxBatchBytes: 1 * MiB,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 1 * DAY_MS,
}

const PositiveInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0))
const DurationOrForever = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(-1))
const NonNegativeInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
// Positions inside a segment and its indexes are 32-bit, as in Kafka.
const SegmentSize = PositiveInt.check(Schema.isLessThanOrEqualTo(2 ** 31 - 1))

const fieldSchemas: { readonly [K in keyof LogConfig]: Schema.Codec<LogConfig[K], unknown> } = {
  segmentBytes: SegmentSize,
  segmentMs: DurationOrForever,
  retentionMs: DurationOrForever,
  retentionBytes: DurationOrForever,
  indexIntervalBytes: NonNegativeInt,
  flush: Schema.Union([
    Schema.Literals(['every-batch', 'os']),
    Schema.Struct({ everyMs: PositiveInt }),
  ]),
  maxBatchBytes: SegmentSize,
  cleanupPolicy: Schema.Literals(['delete', 'compact', 'compact,delete']),
  deleteRetentionMs: NonNegativeInt,
} as never

const shape: ConfigFields = { what: 'setting', whole: '(config)', fields: fieldSchemas as never, nested: { flush: ['everyMs'] }, alsoKnown: kafkaLogConfigNames }

/**
 * Decodes a partial config over the defaults. Keys are the log config's own or Kafka's dotted
 * names (kafka-config-names.ts). Unknown keys and bad values are refused with an
 * InvalidLogConfigError naming the key (as given) and the value.
 */
export const decodeLogConfig = (given: LogConfigInput = {}, base: LogConfig = defaultLogConfig): LogConfig => {
  if (typeof given !== 'object' || given === null) {
    throw new InvalidLogConfigError({ key: '(config)', value: given, reason: 'expected an object' })
  }
  const { config: input, givenAs } = translateLogConfigKeys(given)
  const decoded = decodeConfigFields(shape, input, (key, value, reason) => new InvalidLogConfigError({ key: givenAs.get(key) ?? key, value, reason }))
  return { ...base, ...decoded } as LogConfig
}
