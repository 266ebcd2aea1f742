/**
 * Producer and consumer options, decoded once with effect Schema where the user hands them over
 * and trusted inside. An unknown option or a bad value is an InvalidClientOptionError naming it.
 */
import { decodeConfigFields } from '@rivulet/storage/internal'
import { Schema } from 'effect'
import { type Partitioner, createDefaultPartitioner } from './partitioner.js'
import type { Acks } from '../partition/partition-protocol.js'
import { InvalidClientOptionError } from './errors.js'

const KiB = 1024
const MiB = 1024 * KiB

/** Where the consumer logs what it skips; console by default. */
export interface ClientLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void
}

/** What becomes of a fetched record whose key or value does not decode. */
export type DecodeErrorPolicy = 'fail' | 'skip' | { readonly deadLetterTopic: string }

export interface ProducerOptions {
  /** 'all' (default): the record is on every in-sync replica; 1: on the leader; 0: not awaited. */
  readonly acks: Acks
  /** Default true, which needs acks 'all' (as in Kafka); off by default with other acks. */
  readonly idempotent: boolean
  /**
   * How long a batch waits for more records before it is sent. Default 1 ms, below Kafka 4.0's
   * 5 ms: the end-to-end latency budget is 5 ms at p99, and throughput comes from batches
   * filling while the previous one is in flight (one per partition), not from waiting.
   */
  readonly lingerMs: number
  /**
   * A batch is sent once it holds this many bytes. Default 256 KiB, well above Kafka's 16 KiB:
   * with one batch in flight per partition, a partition moves batchBytes per round trip, and a
   * million 100-byte records a second over six partitions need batches of thousands of records.
   */
  readonly batchBytes: number
  readonly compression: 'none' | 'gzip'
  /** Retries of a batch after a retriable failure (timeout, leader gone). Default 10. */
  readonly retries: number
  /** First backoff between retries, doubling up to retryBackoffMaxMs, with jitter. */
  readonly retryBackoffMs: number
  readonly retryBackoffMaxMs: number
  /** An ask to a partition or the broker without an answer by then is a retriable failure. */
  readonly requestTimeoutMs: number
  /** Topic metadata older than this is refreshed (new partitions are picked up). Default 5 min. */
  readonly metadataMaxAgeMs: number
  readonly partitioner: Partitioner
}

export interface ConsumerOptions {
  /** Upper bound of one fetch from one partition; a first batch bigger than this comes whole. */
  readonly fetchMaxBytes: number
  /** How long a fetch at the end of a partition waits (parked by the partition) for records. */
  readonly fetchMaxWaitMs: number
  /**
   * Fetched bytes not yet taken (or acknowledged through processed()) at which fetching pauses;
   * default 16 MiB. Not a hard cap: a feed starts a fetch only while its subscription holds less
   * than this, and the fetches of several partitions can be in flight together, so a subscription
   * holds at most maxBufferedBytes plus one fetch response per partition it reads, each up to
   * fetchMaxBytes (or one whole batch, up to the topic's maxBatchBytes, when a batch is bigger).
   * With 16 MiB, 1 MiB fetches and 3 partitions that is up to 19 MiB; stats.peakBufferedBytes
   * shows what it reached.
   */
  readonly maxBufferedBytes: number
  /** Where to go when a fetch position is outside the log (deleted by retention, or past the end). */
  readonly autoOffsetReset: 'earliest' | 'latest' | 'error'
  readonly onDecodeError: DecodeErrorPolicy
  readonly logger: ClientLogger
  readonly requestTimeoutMs: number
  /** Wait before asking again after a retriable fetch failure. */
  readonly retryBackoffMs: number
}

export type ProducerOptionsInput = { readonly [K in keyof ProducerOptions]?: ProducerOptions[K] }
export type ConsumerOptionsInput = { readonly [K in keyof ConsumerOptions]?: ConsumerOptions[K] }

export const NonNegativeInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
export const PositiveInt = Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0))
// Batches and fetches are int32-sized on the wire; half of that leaves room for the header.
const ByteCount = PositiveInt.check(Schema.isLessThanOrEqualTo(2 ** 30))
export const TimeoutMs = PositiveInt.check(Schema.isLessThanOrEqualTo(2 ** 31 - 1))
const FunctionSchema = Schema.declare((u: unknown): u is (...args: never[]) => unknown => typeof u === 'function', {
  expected: 'a function',
})
const LoggerSchema = Schema.declare(
  (u: unknown): u is ClientLogger => typeof u === 'object' && u !== null && typeof (u as ClientLogger).warn === 'function',
  { expected: 'an object with a warn(message, fields) method' },
)

const producerFields: { readonly [K in keyof ProducerOptions]: Schema.Codec<unknown, unknown> } = {
  acks: Schema.Literals([0, 1, 'all']),
  idempotent: Schema.Boolean,
  lingerMs: NonNegativeInt.check(Schema.isLessThanOrEqualTo(2 ** 31 - 1)),
  batchBytes: ByteCount,
  compression: Schema.Literals(['none', 'gzip']),
  retries: NonNegativeInt,
  retryBackoffMs: NonNegativeInt,
  retryBackoffMaxMs: NonNegativeInt,
  requestTimeoutMs: TimeoutMs,
  metadataMaxAgeMs: TimeoutMs,
  partitioner: FunctionSchema,
}

export const consumerFields: { readonly [K in keyof ConsumerOptions]: Schema.Codec<unknown, unknown> } = {
  fetchMaxBytes: ByteCount,
  fetchMaxWaitMs: NonNegativeInt.check(Schema.isLessThanOrEqualTo(2 ** 31 - 1)),
  maxBufferedBytes: ByteCount,
  autoOffsetReset: Schema.Literals(['earliest', 'latest', 'error']),
  onDecodeError: Schema.Union([
    Schema.Literals(['fail', 'skip']),
    Schema.Struct({ deadLetterTopic: Schema.String.check(Schema.isMinLength(1)) }),
  ]),
  logger: LoggerSchema,
  requestTimeoutMs: TimeoutMs,
  retryBackoffMs: NonNegativeInt,
}

/** Decodes the options given (no defaults) with the shared decoder; failures name the client. */
export const decodeFields = (
  client: 'producer' | 'consumer',
  fields: { readonly [key: string]: Schema.Codec<unknown, unknown> },
  input: unknown,
): Record<string, unknown> =>
  decodeConfigFields(
    { what: 'option', whole: '(options)', fields, nested: { onDecodeError: ['deadLetterTopic'] } },
    input,
    (option, value, reason) => new InvalidClientOptionError({ client, option, value, reason }),
  )

/** The producer's defaults (idempotent follows acks; each producer gets its own partitioner). */
const producerDefaults: Omit<ProducerOptions, 'idempotent' | 'partitioner'> = {
  acks: 'all',
  lingerMs: 1,
  batchBytes: 256 * KiB,
  compression: 'none',
  retries: 10,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1000,
  requestTimeoutMs: 30_000,
  metadataMaxAgeMs: 300_000,
}

export const decodeProducerOptions = (input?: ProducerOptionsInput): ProducerOptions => {
  const given = decodeFields('producer', producerFields, input) as Partial<ProducerOptions>
  const acks = given.acks ?? producerDefaults.acks
  if (given.idempotent === true && acks !== 'all') {
    const reason = `an idempotent producer needs acks 'all' (got acks ${JSON.stringify(acks)}); set idempotent: false`
    throw new InvalidClientOptionError({ client: 'producer', option: 'idempotent', value: true, reason })
  }
  const options: ProducerOptions = {
    ...producerDefaults,
    ...given,
    acks,
    idempotent: given.idempotent ?? acks === 'all',
    // One per producer: the sticky partitioner keeps state.
    partitioner: given.partitioner ?? createDefaultPartitioner(),
  }
  if (options.retryBackoffMaxMs < options.retryBackoffMs) {
    const reason = `must be at least retryBackoffMs (${options.retryBackoffMs})`
    throw new InvalidClientOptionError({ client: 'producer', option: 'retryBackoffMaxMs', value: options.retryBackoffMaxMs, reason })
  }
  return options
}

const consoleLogger: ClientLogger = {
  warn: (message, fields) => (fields === undefined ? console.warn(`[rivulet] ${message}`) : console.warn(`[rivulet] ${message}`, fields)),
}

export const decodeConsumerOptions = (input?: ConsumerOptionsInput): ConsumerOptions =>
  consumerDefaults(decodeFields('consumer', consumerFields, input) as Partial<ConsumerOptions>)

const consumerDefaultValues: ConsumerOptions = {
  fetchMaxBytes: 1 * MiB,
  fetchMaxWaitMs: 500,
  maxBufferedBytes: 16 * MiB,
  autoOffsetReset: 'latest',
  onDecodeError: 'fail',
  logger: consoleLogger,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
}

/** The consumer options with the defaults filled in. */
export const consumerDefaults = (given: Partial<ConsumerOptions>): ConsumerOptions => ({ ...consumerDefaultValues, ...given })
