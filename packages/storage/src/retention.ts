/**
 * Retention as a pure decision: given the log's segments oldest first, which leading ones to delete.
 * The log carries the decision out; keeping it pure is what lets tests hammer it.
 */
import type { LogConfig } from './log-config.js'

export interface SegmentSummary {
  readonly baseOffset: bigint
  readonly sizeBytes: number
  /** The newest record timestamp in the segment, -1 when empty. */
  readonly maxTimestamp: number
}

export type RetentionConfig = Pick<LogConfig, 'retentionMs' | 'retentionBytes' | 'cleanupPolicy'>

/**
 * How many of the oldest segments retention removes. The last segment is the active one and is
 * never counted: the log rolls an expired active segment first when it wants it gone (see
 * `shouldRollForRetention`). Time retention removes leading segments whose newest record is older
 * than `retentionMs`; size retention removes leading segments while what remains stays at or above
 * `retentionBytes`. The larger of the two counts wins, as in Kafka where both run.
 */
export const segmentsToDelete = (segments: readonly SegmentSummary[], config: RetentionConfig, nowMs: number): number => {
  if (config.cleanupPolicy === 'compact') return 0
  const closed = segments.length - 1
  let byTime = 0
  if (config.retentionMs !== -1) {
    while (byTime < closed && isExpired(segments[byTime]!, config.retentionMs, nowMs)) byTime++
  }
  let bySize = 0
  if (config.retentionBytes !== -1) {
    let excessBytes = segments.reduce((total, segment) => total + segment.sizeBytes, 0) - config.retentionBytes
    while (bySize < closed && excessBytes - segments[bySize]!.sizeBytes >= 0) {
      excessBytes -= segments[bySize]!.sizeBytes
      bySize++
    }
  }
  return Math.max(byTime, bySize)
}

/** The active segment has expired as a whole: roll it so that the next pass can delete it. */
export const shouldRollForRetention = (active: SegmentSummary, config: RetentionConfig, nowMs: number): boolean =>
  config.cleanupPolicy !== 'compact' &&
  config.retentionMs !== -1 &&
  active.sizeBytes > 0 &&
  isExpired(active, config.retentionMs, nowMs)

// An empty closed segment (emptied by compaction) holds nothing to keep, so it never blocks time
// retention of the segments after it. Records without a timestamp (-1) never expire by time.
const isExpired = (segment: SegmentSummary, retentionMs: number, nowMs: number): boolean =>
  segment.maxTimestamp < 0 ? segment.sizeBytes === 0 : nowMs - segment.maxTimestamp > retentionMs
