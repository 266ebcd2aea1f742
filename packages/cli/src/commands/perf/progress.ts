/**
 * What a perf run has done so far: records and payload bytes in total and in the current
 * window, and the latencies. `tick` closes the window once a second has passed on the clock
 * and hands it to the live line.
 */
import type { Clock } from './clock.js'
import { LatencyStats, type LatencySummary } from './latency-stats.js'

export interface WindowReport {
  readonly records: number
  readonly bytes: number
  readonly seconds: number
  readonly avgLatencyMs: number
  readonly maxLatencyMs: number
}

export interface PerfSummary {
  readonly records: number
  /** Payload bytes: record values, as kafka-*-perf-test count them. */
  readonly bytes: number
  readonly seconds: number
  readonly latency: LatencySummary
}

const WINDOW_MS = 1000

export class Progress {
  readonly latencies = new LatencyStats()
  private readonly startedAt: number
  private windowStartedAt: number
  private windowRecords = 0
  private windowBytes = 0
  private totalRecords = 0
  private totalBytes = 0

  constructor(
    private readonly clock: Clock,
    private readonly onWindow: (window: WindowReport) => void,
  ) {
    this.startedAt = clock.now()
    this.windowStartedAt = this.startedAt
  }

  get records(): number {
    return this.totalRecords
  }

  /** One record done, `latencyMs` after it was sent (produce) or stamped (consume). */
  done(bytes: number, latencyMs: number): void {
    this.totalRecords++
    this.totalBytes += bytes
    this.windowRecords++
    this.windowBytes += bytes
    this.latencies.record(latencyMs)
  }

  /** Reports the window when a second has passed since it began. */
  tick(): void {
    const now = this.clock.now()
    if (now - this.windowStartedAt < WINDOW_MS) return
    const { avgMs, maxMs } = this.latencies.takeWindow()
    this.onWindow({ records: this.windowRecords, bytes: this.windowBytes, seconds: (now - this.windowStartedAt) / 1000, avgLatencyMs: avgMs, maxLatencyMs: maxMs })
    this.windowStartedAt = now
    this.windowRecords = 0
    this.windowBytes = 0
  }

  /** The run so far; `endedAt` (clock time) is when its last record was done, else now. */
  summary(endedAt: number = this.clock.now()): PerfSummary {
    return { records: this.totalRecords, bytes: this.totalBytes, seconds: (endedAt - this.startedAt) / 1000, latency: this.latencies.summary() }
  }
}
