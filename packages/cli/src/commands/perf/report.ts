/**
 * How perf results are printed: the live line each second (stderr), the final summary line in
 * kafka-producer-perf-test's words, and the summary as one JSON object for --json.
 */
import type { PerfSummary, WindowReport } from './progress.js'

const rate = (count: number, seconds: number): number => (seconds > 0 ? count / seconds : 0)
const ms = (value: number): string => `${value.toFixed(2)} ms`
/** MB are 10^6 bytes, as in BENCHMARKS.md. */
const mb = (bytes: number, seconds: number): string => (rate(bytes, seconds) / 1e6).toFixed(2)
const round = (value: number, digits: number): number => Number(value.toFixed(digits))

export const windowLine = (window: WindowReport, latency: string): string =>
  `${window.records} records, ${rate(window.records, window.seconds).toFixed(1)} records/s (${mb(window.bytes, window.seconds)} MB/s), ` +
  `${ms(window.avgLatencyMs)} avg ${latency}, ${ms(window.maxLatencyMs)} max ${latency}`

export const summaryLine = (summary: PerfSummary, latency: string): string => {
  const { records, bytes, seconds, latency: l } = summary
  return (
    `${records} records, ${rate(records, seconds).toFixed(1)} records/s (${mb(bytes, seconds)} MB/s) in ${seconds.toFixed(2)} s, ` +
    `${latency}: ${ms(l.avgMs)} avg, ${ms(l.p50Ms)} p50, ${ms(l.p99Ms)} p99, ${ms(l.p999Ms)} p99.9, ${ms(l.maxMs)} max`
  )
}

/** The summary for scripts; `latency` says what was timed. */
export const summaryJson = (summary: PerfSummary, latency: string, extra: Record<string, unknown>): Record<string, unknown> => {
  const { records, bytes, seconds, latency: l } = summary
  return {
    ...extra,
    records,
    bytes,
    seconds: round(seconds, 3),
    records_per_s: round(rate(records, seconds), 1),
    mb_per_s: round(rate(bytes, seconds) / 1e6, 3),
    latency,
    avg_ms: round(l.avgMs, 3),
    p50_ms: round(l.p50Ms, 3),
    p99_ms: round(l.p99Ms, 3),
    p999_ms: round(l.p999Ms, 3),
    max_ms: round(l.maxMs, 3),
  }
}
