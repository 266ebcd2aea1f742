import { RecordBatchTooLargeError, Rivulet } from '@rivulet/core'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { type Clock, systemClock } from './clock.js'
import { runProducePerf } from './produce-perf.js'
import type { WindowReport } from './progress.js'

/** Time that moves only when slept: a throttled run's schedule is exact and no test waits for it. */
const virtualClock = () => {
  let now = 0
  const sleeps: number[] = []
  const clock: Clock = {
    now: () => now,
    epochMs: () => 1_700_000_000_000 + now,
    sleep: async (ms) => {
      sleeps.push(ms)
      now += ms
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
  return { clock, sleeps }
}


const embedded = async (partitions: number) => {
  const dataDir = tempDir('perf')
  const rv = await Rivulet.embedded({ dataDir })
  await rv.admin.createTopic('perf', { partitions })
  return rv
}

const endOffsets = async (rv: Rivulet) => (await rv.admin.describeTopic('perf')).partitions.map((p) => Number(p.highWatermark))

describe('runProducePerf', () => {
  it('keeps to --throughput: records are sent on schedule, one window a second, at no more than the cap', async () => {
    const rv = await embedded(1)
    try {
      const { clock, sleeps } = virtualClock()
      const windows: WindowReport[] = []
      const { summary, error } = await runProducePerf(rv.producer(), 'perf', { numRecords: 50, recordSize: 10, throughput: 20, keys: 0 }, clock, (w) => windows.push(w))
      expect(error).toBeUndefined()
      expect(summary.records).toBe(50)
      expect(summary.bytes).toBe(500)
      // Record i is due at i * 50 ms: the last at 2450 ms, so 2.45 s have passed and two windows closed.
      expect(sleeps.reduce((a, b) => a + b, 0)).toBeCloseTo(2450, 6)
      expect(summary.seconds).toBeCloseTo(2.45, 6)
      expect(summary.records / summary.seconds).toBeLessThanOrEqual(20 * (50 / 49) + 1e-9)
      expect(windows.map((w) => w.seconds)).toEqual([1, 1])
      expect(await endOffsets(rv)).toEqual([50])
    } finally {
      await rv.close()
    }
  })

  it('without a cap never sleeps, and gets past the ring of send times (more records than slots) with every record acknowledged once', async () => {
    const rv = await embedded(3)
    try {
      const { clock, sleeps } = virtualClock()
      const numRecords = 40_000
      const { summary, error } = await runProducePerf(rv.producer({ lingerMs: 0 }), 'perf', { numRecords, recordSize: 8, throughput: -1, keys: 7 }, clock, () => {})
      expect(error).toBeUndefined()
      expect(sleeps).toEqual([])
      expect(summary.records).toBe(numRecords)
      expect((await endOffsets(rv)).reduce((a, b) => a + b, 0)).toBe(numRecords)
    } finally {
      await rv.close()
    }
  })

  it('spreads records over --keys distinct keys in turn, and sends them without a key at 0', async () => {
    const rv = await embedded(1)
    try {
      await runProducePerf(rv.producer(), 'perf', { numRecords: 6, recordSize: 4, throughput: -1, keys: 3 }, systemClock, () => {})
      await runProducePerf(rv.producer(), 'perf', { numRecords: 2, recordSize: 4, throughput: -1, keys: 0 }, systemClock, () => {})
      const records = await new Promise<{ key: string | null; size: number }[]>((resolve) => {
        const seen: { key: string | null; size: number }[] = []
        const subscription = rv.consumer().subscribe('perf', { from: 'earliest' }).subscribe((record) => {
          seen.push({ key: record.key?.toString() ?? null, size: record.value!.length })
          if (seen.length === 8) {
            subscription.unsubscribe()
            resolve(seen)
          }
        })
      })
      expect(records.map((r) => r.key)).toEqual(['key-0', 'key-1', 'key-2', 'key-0', 'key-1', 'key-2', null, null])
      expect(new Set(records.map((r) => r.size))).toEqual(new Set([4]))
    } finally {
      await rv.close()
    }
  })

  it('stops at the first record the broker refuses and returns its error with what was acknowledged', async () => {
    const rv = await embedded(1)
    try {
      await rv.admin.createTopic('small', { config: { maxBatchBytes: 1024 } })
      const { summary, error } = await runProducePerf(rv.producer(), 'small', { numRecords: 5, recordSize: 2000, throughput: -1, keys: 0 }, systemClock, () => {})
      expect(error).toBeInstanceOf(RecordBatchTooLargeError)
      expect(summary.records).toBe(0)
      expect(await rv.admin.describeTopic('small').then((d) => d.partitions[0]!.highWatermark)).toBe(0n)
    } finally {
      await rv.close()
    }
  })
})
