/**
 * The record shapes of the client API: what a producer sends, what it gets back, what a consumer
 * delivers. Offsets are `bigint` at this edge (a partition outgrows 2^53 records only in theory,
 * but Kafka's offsets are int64 and so are ours).
 */
import type { RecordHeader } from '@rivulet/storage'

export type { RecordHeader }

/** Headers as a list (order and repeats kept) or as an object (one value per key). */
export type HeadersInput =
  | readonly { readonly key: string; readonly value: string | Uint8Array | null }[]
  | { readonly [key: string]: string | Uint8Array | null }

export interface ProducerRecord<K, V> {
  readonly key?: K | null
  readonly value: V | null
  readonly headers?: HeadersInput
  /** Milliseconds since the epoch; the time of the send when absent. */
  readonly timestamp?: number
  /** Skips the partitioner. */
  readonly partition?: number
}

export interface RecordMetadata {
  readonly topic: string
  readonly partition: number
  /** -1n with acks 0: nobody waited to hear it. */
  readonly offset: bigint
  /** The record's timestamp as sent. */
  readonly timestamp: number
}

export interface ConsumerRecord<K = Buffer, V = Buffer> {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: K | null
  readonly value: V | null
  /** In the order they were sent; values are views into the fetched batch. */
  readonly headers: readonly RecordHeader[]
  readonly timestamp: number
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([])

/** What a header holds that is not a string, bytes or null; the caller turns it into its typed error. */
export class InvalidHeaderShape {
  constructor(readonly reason: string) {}
}

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)

const headerBytes = (key: string, value: unknown): Buffer | null => {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  // A number is refused rather than written as its digits: a reader would not know it was one.
  throw new InvalidHeaderShape(`header "${key}" has a value of type ${describe(value)}; a header value is a string, a Buffer, a Uint8Array or null`)
}

/**
 * Headers as the encoder takes them; undefined when there are none. Throws InvalidHeaderShape
 * for a key that is not a string or a value that is not a string, bytes or null.
 */
export const normalizeHeaders = (headers: HeadersInput | undefined): readonly RecordHeader[] | undefined => {
  if (headers === undefined) return undefined
  const out: RecordHeader[] = []
  if (Array.isArray(headers)) {
    for (const header of headers as readonly unknown[]) {
      if (typeof header !== 'object' || header === null || typeof (header as { key?: unknown }).key !== 'string') {
        throw new InvalidHeaderShape(`a header must be an object { key: string, value }, got ${describe(header)}${typeof header === 'object' && header !== null ? ` with key of type ${describe((header as { key?: unknown }).key)}` : ''}`)
      }
      const { key, value } = header as { readonly key: string; readonly value: unknown }
      out.push({ key, value: headerBytes(key, value) })
    }
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [key, value] of Object.entries(headers)) out.push({ key, value: headerBytes(key, value) })
  } else {
    throw new InvalidHeaderShape(`headers must be an array of { key, value } or an object of key to value, got ${describe(headers)}`)
  }
  return out.length === 0 ? undefined : out
}

/** Bytes a header list adds to a record, about as the encoder writes it. */
export const headersSize = (headers: readonly RecordHeader[] | undefined): number => {
  if (headers === undefined) return 1
  let size = 5
  for (const header of headers) size += 10 + header.key.length * 3 + (header.value === null ? 0 : header.value.length)
  return size
}

export const emptyHeaders = NO_HEADERS

/** `orders-3`, the usual way to name a topic partition. */
export const partitionKey = (topic: string, partition: number): string => `${topic}-${partition}`
