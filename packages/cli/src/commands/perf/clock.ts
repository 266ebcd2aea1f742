/**
 * Time as the perf commands see it: a monotonic clock for latencies and rates, the wall clock
 * for record timestamps, and sleeping. Injected so that tests can run a throttled producer on
 * virtual time instead of waiting for real seconds.
 */
import { performance } from 'node:perf_hooks'

export interface Clock {
  /** Milliseconds from an arbitrary origin, monotonic, with sub-millisecond precision. */
  now(): number
  /** Milliseconds since the epoch: what record timestamps are compared with. */
  epochMs(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}
