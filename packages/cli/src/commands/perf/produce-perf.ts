/**
 * The producer side of `rivulet perf produce`: sends `numRecords` records of `recordSize` bytes
 * as fast as the producer takes them, or at most `throughput` a second, and times each from its
 * hand-over to the producer to its acknowledgement.
 *
 * Records go through Producer.enqueue with one sink for the whole run, so there is no promise
 * per record: the sink hears each acknowledgement with the record's index, and the send time
 * sits in a ring of slots indexed by it. A record waits for its slot to be free (the record
 * RING_SLOTS before it acknowledged), which also bounds what is in flight.
 */
import type { Producer } from '@rivulet/core'
import { enqueueRecord } from '@rivulet/core/internal'
import type { Clock } from './clock.js'
import { type PerfSummary, Progress, type WindowReport } from './progress.js'

export interface ProducePerfOptions {
  readonly numRecords: number
  readonly recordSize: number
  /** Records a second at most; -1 for no cap. */
  readonly throughput: number
  /** Distinct keys, used in turn; 0 sends records without a key. */
  readonly keys: number
}

export interface ProducePerfResult {
  readonly summary: PerfSummary
  /** The first failure (a record refused or not delivered); sending stops at it. */
  readonly error?: unknown
}

type RecordSink = Parameters<typeof enqueueRecord>[3]

const RING_SLOTS = 1 << 14
const SLOT_MASK = RING_SLOTS - 1

/** A payload of printable bytes, shared by every record (values are copied into batches). */
const payloadOf = (size: number): Buffer => {
  const payload = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) payload[i] = 0x41 + ((i * 7) % 26)
  return payload
}

export const runProducePerf = async (
  producer: Producer,
  topic: string,
  options: ProducePerfOptions,
  clock: Clock,
  onWindow: (window: WindowReport) => void,
): Promise<ProducePerfResult> => {
  const { numRecords, recordSize, throughput } = options
  const value = payloadOf(recordSize)
  const keys = Array.from({ length: Math.min(options.keys, numRecords) }, (_, i) => Buffer.from(`key-${i}`))
  const sentAt = new Float64Array(RING_SLOTS)
  const busy = new Uint8Array(RING_SLOTS)
  const progress = new Progress(clock, onWindow)
  let sent = 0
  let settled = 0
  let lastDoneAt = clock.now()
  let error: unknown
  // Woken by the sink when the awaited slot frees or every record sent has been heard of.
  let waitingFor: (() => boolean) | undefined
  let wake: (() => void) | undefined
  const settle = (index: number): void => {
    busy[index & SLOT_MASK] = 0
    settled++
    if (waitingFor?.() === true) wake!()
  }
  const until = (condition: () => boolean): Promise<void> =>
    condition()
      ? Promise.resolve()
      : new Promise((resolve) => {
          waitingFor = condition
          wake = () => {
            waitingFor = undefined
            wake = undefined
            resolve()
          }
        })
  const sink: RecordSink = {
    delivered(index) {
      const now = clock.now()
      lastDoneAt = now
      progress.done(recordSize, now - sentAt[index & SLOT_MASK]!)
      settle(index)
    },
    failed(index, failure) {
      error ??= failure
      settle(index)
    },
  }

  const startedAt = clock.now()
  const intervalMs = throughput > 0 ? 1000 / throughput : 0
  for (let index = 0; index < numRecords && error === undefined; index++) {
    if (intervalMs > 0) {
      // Ahead of the cap: wait until this record is due (sleeps shorter than 1 ms are not taken).
      const ahead = startedAt + index * intervalMs - clock.now()
      if (ahead >= 1) await clock.sleep(ahead)
    }
    const slot = index & SLOT_MASK
    if (busy[slot] === 1) await until(() => busy[slot] === 0 || error !== undefined)
    if (error !== undefined) break
    sentAt[slot] = clock.now()
    busy[slot] = 1
    try {
      enqueueRecord(producer, topic, { key: keys.length === 0 ? null : keys[index % keys.length]!, value }, sink, index)
    } catch (refused) {
      busy[slot] = 0
      error = refused
      break
    }
    sent++
    progress.tick()
  }
  await producer.flush()
  await until(() => settled === sent)
  progress.tick()
  return { summary: progress.summary(lastDoneAt), ...(error === undefined ? {} : { error }) }
}
