/**
 * The consumer side of `rivulet perf consume`: reads a topic from its start, `numRecords`
 * records or (without it) up to the end each partition had when the run began, and times each
 * record end to end: the time it is received minus its timestamp. For records produced while
 * the run goes that is the produce-to-consume latency; for records already in the log it is
 * their age. A run that receives nothing new for `timeoutMs` stops short and says so.
 */
import type { Consumer, PartitionDescription } from '@rivulet/core'
import type { Clock } from './clock.js'
import { type PerfSummary, Progress, type WindowReport } from './progress.js'

export interface ConsumePerfOptions {
  /** Records to read; undefined reads up to the end offsets at the start. */
  readonly numRecords: number | undefined
  readonly timeoutMs: number
}

export interface ConsumePerfResult {
  readonly summary: PerfSummary
  /** How many records the run meant to read. */
  readonly expected: number
  /** Set when the run stopped for want of records, or the consumer failed. */
  readonly stoppedShort?: { readonly reason: 'timeout' } | { readonly reason: 'error'; readonly error: unknown }
}

const TICK_MS = 250

export const runConsumePerf = async (
  consumer: Consumer,
  topic: string,
  partitions: readonly PartitionDescription[],
  options: ConsumePerfOptions,
  clock: Clock,
  onWindow: (window: WindowReport) => void,
): Promise<ConsumePerfResult> => {
  // Up to the end: per partition, what lies between its start and its high watermark now.
  const ends = new Map(partitions.map((p) => [p.partition, p.highWatermark]))
  const available = partitions.reduce((sum, p) => sum + Number(p.highWatermark - p.logStartOffset), 0)
  const expected = options.numRecords ?? available
  // Partitions still short of their end (up-to-the-end runs only); offsets can skip (compaction), so a partition is done at its first record at or past the end.
  const unfinished = new Set(options.numRecords === undefined ? partitions.filter((p) => p.highWatermark > p.logStartOffset).map((p) => p.partition) : [])
  const progress = new Progress(clock, onWindow)
  let lastRecordAt = clock.now()
  let failure: unknown
  let finished = options.numRecords === undefined ? unfinished.size === 0 : options.numRecords === 0
  let wake: (() => void) | undefined
  const finish = () => {
    finished = true
    wake?.()
  }
  const subscription = finished
    ? undefined
    : consumer.subscribe(topic, { from: 'earliest' }).subscribe({
        next: (record) => {
          // Records of the batch being delivered when the run finished are not counted.
          if (finished) return
          lastRecordAt = clock.now()
          progress.done(record.value === null ? 0 : record.value.length, clock.epochMs() - record.timestamp)
          if (options.numRecords !== undefined) {
            if (progress.records >= options.numRecords) finish()
          } else if (unfinished.has(record.partition) && record.offset + 1n >= ends.get(record.partition)!) {
            unfinished.delete(record.partition)
            if (unfinished.size === 0) finish()
          }
        },
        error: (error: unknown) => {
          failure = error
          finish()
        },
      })
  try {
    while (!finished && clock.now() - lastRecordAt < options.timeoutMs) {
      const waitMs = Math.min(TICK_MS, options.timeoutMs - (clock.now() - lastRecordAt))
      await new Promise<void>((resolve) => {
        wake = resolve
        void clock.sleep(waitMs).then(resolve)
      })
      wake = undefined
      progress.tick()
    }
  } finally {
    subscription?.unsubscribe()
  }
  const summary = progress.summary(lastRecordAt)
  if (failure !== undefined) return { summary, expected, stoppedShort: { reason: 'error', error: failure } }
  if (!finished) return { summary, expected, stoppedShort: { reason: 'timeout' } }
  return { summary, expected }
}
