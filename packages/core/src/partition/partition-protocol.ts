/**
 * What a PartitionActor answers. One actor per partition replica; it owns the log, the high
 * watermark and the producer-state table, and handles one message at a time.
 */
import type { LogConfigInput } from '@rivulet/storage'
import type { ReplyTo } from '../actor/actor-ref.js'

/** 0: no reply awaited; 1: the leader appended; 'all': every in-sync replica has it. */
export type Acks = 0 | 1 | 'all'

export interface ProduceResult {
  /** The offset of the batch's first record. For a retried duplicate, the original offset. */
  readonly baseOffset: bigint
  readonly logStartOffset: bigint
  /** True when the batch was a retry the partition already had: nothing was appended. */
  readonly duplicate: boolean
}

export interface FetchResult {
  /** Whole record batches (RecordBatch v2 bytes, as on disk); may start before the fetch offset. */
  readonly records: Buffer
  readonly highWatermark: bigint
  readonly logStartOffset: bigint
}

export type OffsetSpec = 'earliest' | 'latest' | { readonly timestamp: number }

export interface PartitionDescription {
  readonly topic: string
  readonly partition: number
  readonly logStartOffset: bigint
  readonly logEndOffset: bigint
  readonly highWatermark: bigint
  readonly sizeBytes: number
  readonly segmentCount: number
}

export type PartitionMessage =
  /**
   * Appends one batch (offsets assigned here); idempotent when the batch has a producer id. The
   * bytes are taken over: the log writes the assigned base offset into them. Several batches in
   * one buffer are accepted only when none of them is idempotent. Every acks level is answered
   * once the flush policy is met (one node: that is when the high watermark covers the batch);
   * with acks 0 the reply is still sent, the producer just does not wait for it. A partition of
   * an internal topic (`__...`) takes only batches marked `internalTopicsAllowed`, as Kafka's
   * appendRecords does: the group coordinator writes there, user producers do not.
   */
  | {
      readonly _tag: 'Produce'
      readonly batch: Buffer
      readonly acks: Acks
      readonly replyTo: ReplyTo<ProduceResult>
      readonly internalTopicsAllowed?: boolean
    }
  /**
   * Reads whole batches from `offset`, below the high watermark. With nothing to return it waits
   * (without blocking the partition) until records arrive or `maxWaitMs` passes: a long poll,
   * never a busy loop. An offset outside [logStartOffset, logEndOffset] fails with the storage
   * OffsetOutOfRangeError.
   */
  | {
      readonly _tag: 'Fetch'
      readonly offset: bigint
      readonly maxBytes: number
      readonly maxWaitMs: number
      readonly replyTo: ReplyTo<FetchResult>
    }
  /**
   * The first offset at or after a timestamp (undefined: none below the high watermark), or
   * the log start ('earliest') or the high watermark ('latest').
   */
  | { readonly _tag: 'ListOffset'; readonly spec: OffsetSpec; readonly replyTo: ReplyTo<bigint | undefined> }
  | { readonly _tag: 'Describe'; readonly replyTo: ReplyTo<PartitionDescription> }
  /**
   * Applies the topic's whole new config (the broker merges its overrides over the broker
   * default) by reopening the log with it. A bad config fails the request; the log keeps the old one.
   */
  | { readonly _tag: 'AlterConfig'; readonly config: LogConfigInput; readonly replyTo: ReplyTo<void> }
  /**
   * Runs retention and (when the cleanup policy says so) compaction now, and snapshots the
   * producer state. The partition also does this on its own timer (every retentionCheckIntervalMs).
   */
  | { readonly _tag: 'Maintain'; readonly replyTo: ReplyTo<void> }
  /** Closes the log and removes its files (the topic is being deleted); the actor then stops. */
  | { readonly _tag: 'DeleteLog'; readonly replyTo: ReplyTo<void> }
