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

const headerBytes = (value: string | Uint8Array | null): Buffer | null => {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

/** Headers as the encoder takes them; undefined when there are none. */
export const normalizeHeaders = (headers: HeadersInput | undefined): readonly RecordHeader[] | undefined => {
  if (headers === undefined) return undefined
  if (Array.isArray(headers)) {
    if (headers.length === 0) return undefined
    return headers.map((header: { readonly key: string; readonly value: string | Uint8Array | null }) => ({
      key: header.key,
      value: headerBytes(header.value),
    }))
  }
  const out: RecordHeader[] = []
  for (const [key, value] of Object.entries(headers)) out.push({ key, value: headerBytes(value) })
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
