import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { defaultLogConfig } from './log-config.js'
import { segmentsToDelete, shouldRollForRetention, type RetentionConfig, type SegmentSummary } from './retention.js'

const config = (overrides: Partial<RetentionConfig>): RetentionConfig => ({ ...defaultLogConfig, ...overrides })
const segment = (baseOffset: number, sizeBytes: number, maxTimestamp: number): SegmentSummary => ({
  baseOffset: BigInt(baseOffset),
  sizeBytes,
  maxTimestamp,
})

describe('segmentsToDelete', () => {
  const segments = [segment(0, 100, 1_000), segment(10, 100, 2_000), segment(20, 100, 3_000), segment(30, 50, 4_000)]

  it('deletes leading segments older than retentionMs, never the active one', () => {
    expect(segmentsToDelete(segments, config({ retentionMs: 1_500 }), 4_000)).toBe(2)
    expect(segmentsToDelete(segments, config({ retentionMs: 1 }), 100_000)).toBe(3)
    expect(segmentsToDelete(segments, config({ retentionMs: -1 }), 100_000)).toBe(0)
  })

  it('deletes leading segments while the rest stays at or above retentionBytes', () => {
    expect(segmentsToDelete(segments, config({ retentionMs: -1, retentionBytes: 250 }), 0)).toBe(1)
    expect(segmentsToDelete(segments, config({ retentionMs: -1, retentionBytes: 150 }), 0)).toBe(2)
    expect(segmentsToDelete(segments, config({ retentionMs: -1, retentionBytes: 0 }), 0)).toBe(3)
    expect(segmentsToDelete(segments, config({ retentionMs: -1, retentionBytes: 351 }), 0)).toBe(0)
  })

  it('expires a segment only once its newest record is more than retentionMs old', () => {
    const pair = [segment(0, 100, 1_000), segment(10, 100, 9_000)]
    const retention = config({ retentionMs: 1_000, retentionBytes: -1 })
    expect(segmentsToDelete(pair, retention, 1_999)).toBe(0)
    expect(segmentsToDelete(pair, retention, 2_000)).toBe(0)
    expect(segmentsToDelete(pair, retention, 2_001)).toBe(1)
  })

  it('gives a record stamped 0 its age like any other, not the never-expires of an absent timestamp', () => {
    const pair = [segment(0, 100, 0), segment(10, 100, 9_000)]
    const retention = config({ retentionMs: 100, retentionBytes: -1 })
    expect(segmentsToDelete(pair, retention, 100)).toBe(0)
    expect(segmentsToDelete(pair, retention, 101)).toBe(1)
  })

  it('deletes a segment when exactly retentionBytes remain after it, not when one byte less would', () => {
    const sized = [segment(0, 100, 1_000), segment(10, 100, 2_000), segment(20, 50, 3_000)]
    const deleted = (retentionBytes: number) => segmentsToDelete(sized, config({ retentionMs: -1, retentionBytes }), 0)
    expect([49, 50, 51, 149, 150, 151].map(deleted)).toEqual([2, 2, 1, 1, 1, 0])
  })

  it('keeps everything under a compact-only policy', () => {
    expect(segmentsToDelete(segments, config({ retentionMs: 1, retentionBytes: 0, cleanupPolicy: 'compact' }), 1e9)).toBe(0)
  })

  it('treats an empty closed segment (emptied by compaction) as expired', () => {
    const emptied = [segment(0, 0, -1), segment(5, 100, 1_000), segment(9, 10, 9_000)]
    expect(segmentsToDelete(emptied, config({ retentionMs: 500, cleanupPolicy: 'compact,delete' }), 2_000)).toBe(2)
  })

  it('stops at the first segment that is not expired, as Kafka does', () => {
    const unordered = [segment(0, 1, 5_000), segment(1, 1, 1_000), segment(2, 1, 9_000)]
    expect(segmentsToDelete(unordered, config({ retentionMs: 1_000 }), 5_500)).toBe(0)
  })

  test.prop([
    fc.array(fc.record({ size: fc.nat(1000), ts: fc.integer({ min: -1, max: 10_000 }) }), { minLength: 1, maxLength: 12 }),
    fc.integer({ min: -1, max: 5_000 }),
    fc.integer({ min: -1, max: 5_000 }),
    fc.nat(20_000),
  ])('never deletes the active segment and leaves at least retentionBytes', (raw, retentionMs, retentionBytes, nowMs) => {
    const segs = raw.map((s, i) => segment(i, s.size, s.ts))
    const count = segmentsToDelete(segs, config({ retentionMs, retentionBytes }), nowMs)
    expect(count).toBeLessThan(segs.length)
    const bytesAfter = (i: number) => segs.slice(i + 1).reduce((t, s) => t + s.sizeBytes, 0)
    segs.slice(0, count).forEach((s, i) => {
      const expiredByTime = retentionMs !== -1 && (s.maxTimestamp < 0 ? s.sizeBytes === 0 : nowMs - s.maxTimestamp > retentionMs)
      const excessBySize = retentionBytes !== -1 && bytesAfter(i) >= retentionBytes
      expect(expiredByTime || excessBySize).toBe(true)
    })
  })
})

describe('shouldRollForRetention', () => {
  it('rolls a non-empty expired active segment only', () => {
    expect(shouldRollForRetention(segment(0, 10, 1_000), config({ retentionMs: 100 }), 2_000)).toBe(true)
    expect(shouldRollForRetention(segment(0, 0, -1), config({ retentionMs: 100 }), 2_000)).toBe(false)
    expect(shouldRollForRetention(segment(0, 10, 1_950), config({ retentionMs: 100 }), 2_000)).toBe(false)
    expect(shouldRollForRetention(segment(0, 10, 1_000), config({ retentionMs: -1 }), 2_000)).toBe(false)
  })

  it('rolls the active segment only once its newest record is more than retentionMs old', () => {
    const active = segment(0, 10, 1_000)
    expect(shouldRollForRetention(active, config({ retentionMs: 100 }), 1_099)).toBe(false)
    expect(shouldRollForRetention(active, config({ retentionMs: 100 }), 1_100)).toBe(false)
    expect(shouldRollForRetention(active, config({ retentionMs: 100 }), 1_101)).toBe(true)
    expect(shouldRollForRetention(segment(0, 1, 1_000), config({ retentionMs: 100 }), 1_101)).toBe(true)
  })
})
