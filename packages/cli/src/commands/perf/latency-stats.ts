/**
 * Latencies of a perf run: every one goes into an HDR histogram (bounded memory, 3 significant
 * digits, kept in microseconds) for the final percentiles, and into the current one-second
 * window's count, sum and maximum for the live line.
 */
import { build, type Histogram } from 'hdr-histogram-js'

export interface LatencySummary {
  readonly avgMs: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly p999Ms: number
  readonly maxMs: number
}

const US_PER_MS = 1000

export class LatencyStats {
  private readonly histogram: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600 * 1_000_000, numberOfSignificantValueDigits: 3 })
  private windowCount = 0
  private windowSumMs = 0
  private windowMaxMs = 0

  record(ms: number): void {
    // Negative only when a record's timestamp is ahead of this machine's clock; counted as 0.
    const clamped = ms < 0 ? 0 : ms
    this.histogram.recordValue(Math.round(clamped * US_PER_MS))
    this.windowCount++
    this.windowSumMs += clamped
    if (clamped > this.windowMaxMs) this.windowMaxMs = clamped
  }

  /** The window's average and maximum (0 when it saw none), and a fresh window. */
  takeWindow(): { readonly avgMs: number; readonly maxMs: number } {
    const window = { avgMs: this.windowCount === 0 ? 0 : this.windowSumMs / this.windowCount, maxMs: this.windowMaxMs }
    this.windowCount = 0
    this.windowSumMs = 0
    this.windowMaxMs = 0
    return window
  }

  summary(): LatencySummary {
    if (this.histogram.totalCount === 0) return { avgMs: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 }
    const maxMs = this.histogram.maxValue / US_PER_MS
    // A percentile is the top of its bucket, which can lie above the largest value recorded.
    const at = (percentile: number) => Math.min(maxMs, this.histogram.getValueAtPercentile(percentile) / US_PER_MS)
    return { avgMs: this.histogram.mean / US_PER_MS, p50Ms: at(50), p99Ms: at(99), p999Ms: at(99.9), maxMs }
  }
}
