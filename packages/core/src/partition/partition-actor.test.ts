import { existsSync, readdirSync } from 'node:fs'
import {
  CorruptRecordBatchError,
  encodeRecordBatch,
  InvalidLogConfigError,
  Log,
  type LogConfigInput,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
} from '@rivulet/storage'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ActorRef } from '../actor/actor-ref.js'
import type { ActorSystem } from '../actor/actor-system.js'
import { ActorFailedError } from '../actor/errors.js'
import { Supervision } from '../actor/supervision.js'
import { quietSystem } from '../actor/test-support/fixtures.js'
import { ClosedError, OutOfOrderSequenceError, ProducerFencedError } from '../errors.js'
import { partitionActor, type PartitionActorOptions, partitionLogDir, partitionPath } from './partition-actor.js'
import type { PartitionMessage } from './partition-protocol.js'
import { UnsupportedRecordBatchError } from './produce-validation.js'
import { describePartition, fetchFrom, listOffset, maintain, produce, settled } from './test-support/partition-client.js'
import { batchOf, idempotentBatch, recordsIn, tempDir } from './test-support/records.js'
import { eventually } from '@rivulet/test-kit'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Harness {
  readonly system: ActorSystem
  readonly dataDir: string
  readonly spawn: () => ActorRef<PartitionMessage>
}

const harness = (config: LogConfigInput = { flush: 'os' }, extra: Partial<PartitionActorOptions> = {}): Harness => {
  const { dir, remove } = tempDir('partition')
  const { system } = quietSystem()
  cleanups.push(remove, () => system.shutdown())
  const spawn = (): ActorRef<PartitionMessage> =>
    system.spawn(
      partitionPath('test', 0, 'orders', 0),
      partitionActor({ topic: 'orders', partition: 0, dataDir: dir, config, retentionCheckIntervalMs: 3_600_000, ...extra }),
      { supervision: Supervision.restart() },
    )
  return { system, dataDir: dir, spawn }
}

describe('PartitionActor: produce, fetch, offsets', () => {
  it('assigns dense offsets and serves them back below the high watermark', async () => {
    const partition = harness().spawn()
    expect(await produce(partition, batchOf(['a', 'b']))).toEqual({ baseOffset: 0n, logStartOffset: 0n, duplicate: false })
    expect((await produce(partition, batchOf(['c']), 'all')).baseOffset).toBe(2n)
    expect((await produce(partition, batchOf(['d']), 0)).baseOffset).toBe(3n)
    const fetched = await fetchFrom(partition, 0n)
    expect(fetched.highWatermark).toBe(4n)
    expect(recordsIn(fetched.records).map((record) => [record.offset, record.value])).toEqual([
      [0n, 'a'],
      [1n, 'b'],
      [2n, 'c'],
      [3n, 'd'],
    ])
    expect(await describePartition(partition)).toMatchObject({
      topic: 'orders',
      partition: 0,
      logStartOffset: 0n,
      logEndOffset: 4n,
      highWatermark: 4n,
      segmentCount: 1,
    })
  })

  it('lists the earliest and latest offsets and the first offset at a timestamp', async () => {
    const partition = harness().spawn()
    await produce(partition, batchOf(['old'], 1000))
    await produce(partition, batchOf(['new'], 2000))
    expect(await listOffset(partition, 'earliest')).toBe(0n)
    expect(await listOffset(partition, 'latest')).toBe(2n)
    expect(await listOffset(partition, { timestamp: 1500 })).toBe(1n)
    expect(await listOffset(partition, { timestamp: 3000 })).toBeUndefined()
  })

  it('fails a fetch past the log end with the storage OffsetOutOfRangeError', async () => {
    const partition = harness().spawn()
    await produce(partition, batchOf(['a']))
    const error = await settled(fetchFrom(partition, 5n))
    expect(error).toBeInstanceOf(OffsetOutOfRangeError)
    expect(error).toMatchObject({ offset: 5n, logStartOffset: 0n, logEndOffset: 1n })
  })
})

describe('PartitionActor: long poll', () => {
  it('parks a fetch at the end of the log and answers it when a produce arrives', async () => {
    const partition = harness().spawn()
    const parked = fetchFrom(partition, 0n, { maxWaitMs: 20_000 })
    // The parked fetch does not hold the mailbox: these are answered while it waits.
    expect(await listOffset(partition, 'latest')).toBe(0n)
    await produce(partition, batchOf(['late']))
    const fetched = await parked
    expect(recordsIn(fetched.records).map((record) => record.value)).toEqual(['late'])
    expect(fetched.highWatermark).toBe(1n)
  })

  it('answers a parked fetch with no records when its maxWaitMs passes', async () => {
    const partition = harness().spawn()
    await produce(partition, batchOf(['a']))
    // Its wait runs on a virtual clock: unanswered one ms before maxWaitMs, answered at it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let answered = false
    const fetched = fetchFrom(partition, 1n, { maxWaitMs: 30 }).then((result) => {
      answered = true
      return result
    })
    await describePartition(partition)
    await vi.advanceTimersByTimeAsync(29)
    await describePartition(partition)
    expect(answered).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await fetched).toEqual({ records: Buffer.alloc(0), highWatermark: 1n, logStartOffset: 0n })
  })

  it('fails parked fetches with ClosedError when the partition stops', async () => {
    const { system, spawn } = harness()
    const partition = spawn()
    const parked = settled(fetchFrom(partition, 0n, { maxWaitMs: 20_000 }))
    await describePartition(partition)
    await system.stop(partition)
    const error = await parked
    expect(error).toBeInstanceOf(ClosedError)
    expect((error as Error).message).toBe('partition orders-0 is closed')
  })
})

describe('PartitionActor: group commit', () => {
  it('appends a queued burst under one flush and gives every batch its dense offset', async () => {
    let flushes = 0
    const openLog = async (dir: string, config: LogConfigInput) => {
      const log = await Log.open(dir, config)
      const flushedPerPolicy = log.flushedPerPolicy.bind(log)
      log.flushedPerPolicy = () => {
        flushes++
        return flushedPerPolicy()
      }
      return log
    }
    const partition = harness({ flush: 'every-batch' }, { openLog }).spawn()
    await describePartition(partition)
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => produce(partition, batchOf([`r${i}`, `s${i}`]))))
    expect(flushes).toBe(1)
    expect(results.map((result) => result.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(2 * i)))
    const fetched = recordsIn((await fetchFrom(partition, 0n)).records)
    expect(fetched.map((record) => record.offset)).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i)))
  })

  it('never serves a fetch records above the high watermark, even those its own burst appended', async () => {
    // The first burst's flush is held, so the next Produce and Fetch queue behind it and are
    // handed over together: the Produce is appended (visible to reads) but not yet committed
    // when the Fetch runs, and the high watermark has not moved past it.
    let held: { readonly entered: () => void; readonly release: Promise<void> } | undefined
    const openLog = async (dir: string, config: LogConfigInput) => {
      const log = await Log.open(dir, config)
      const flushedPerPolicy = log.flushedPerPolicy.bind(log)
      log.flushedPerPolicy = async () => {
        const hold = held
        held = undefined
        if (hold !== undefined) {
          hold.entered()
          await hold.release
        }
        return flushedPerPolicy()
      }
      return log
    }
    const partition = harness({ flush: 'os' }, { openLog }).spawn()
    await produce(partition, batchOf(['committed']))
    let entered!: () => void
    const flushEntered = new Promise<void>((resolve) => (entered = resolve))
    let release!: () => void
    held = { entered, release: new Promise<void>((resolve) => (release = resolve)) }
    const second = produce(partition, batchOf(['held']))
    await flushEntered
    const third = produce(partition, batchOf(['same burst']))
    const fromStart = fetchFrom(partition, 0n)
    const atWatermark = fetchFrom(partition, 2n)
    release()
    expect((await second).baseOffset).toBe(1n)
    const seen = await fromStart
    expect(seen.highWatermark).toBe(2n)
    expect(recordsIn(seen.records).map((record) => [record.offset, record.value])).toEqual([
      [0n, 'committed'],
      [1n, 'held'],
    ])
    expect(await atWatermark).toEqual({ records: Buffer.alloc(0), highWatermark: 2n, logStartOffset: 0n })
    expect((await third).baseOffset).toBe(2n)
    const after = await fetchFrom(partition, 2n)
    expect(after.highWatermark).toBe(3n)
    expect(recordsIn(after.records).map((record) => record.value)).toEqual(['same burst'])
  })

  it('takes a batch of exactly maxBatchBytes and refuses one byte more', async () => {
    const exact = batchOf(['v'.repeat(100)])
    const partition = harness({ flush: 'os', maxBatchBytes: exact.length }).spawn()
    expect((await produce(partition, exact)).baseOffset).toBe(0n)
    const tooLarge = await settled(produce(partition, batchOf(['v'.repeat(101)])))
    expect(tooLarge).toBeInstanceOf(RecordBatchTooLargeError)
    expect(tooLarge).toMatchObject({ batchBytes: exact.length + 1, maxBatchBytes: exact.length })
    expect((await describePartition(partition)).logEndOffset).toBe(1n)
  })

  it('fails only the bad requests of a burst, as data, and appends the rest', async () => {
    const partition = harness({ flush: 'os', maxBatchBytes: 200 }).spawn()
    await describePartition(partition)
    const corrupt = batchOf(['x'])
    corrupt[corrupt.length - 1] ^= 0xff
    const outcomes = await Promise.all([
      settled(produce(partition, batchOf(['first']))),
      settled(produce(partition, corrupt)),
      settled(produce(partition, batchOf(['y'.repeat(300)]))),
      settled(produce(partition, encodeRecordBatch([{ key: null, value: Buffer.from('t') }], { transactional: true, producerId: 7n, producerEpoch: 0, baseSequence: 0 }))),
      settled(produce(partition, Buffer.concat([idempotentBatch(7n, 0, ['p']), idempotentBatch(7n, 1, ['q'])]))),
      settled(produce(partition, Buffer.alloc(0))),
      settled(produce(partition, batchOf(['last']))),
    ])
    expect(outcomes[0]).toMatchObject({ baseOffset: 0n })
    expect(outcomes[1]).toBeInstanceOf(CorruptRecordBatchError)
    expect((outcomes[1] as Error).message).toContain('CRC mismatch')
    expect(outcomes[2]).toBeInstanceOf(RecordBatchTooLargeError)
    expect(outcomes[3]).toBeInstanceOf(UnsupportedRecordBatchError)
    expect((outcomes[4] as Error).message).toContain('exactly one batch')
    expect(outcomes[5]).toBeInstanceOf(CorruptRecordBatchError)
    expect(outcomes[6]).toMatchObject({ baseOffset: 1n })
  })
})

describe('PartitionActor: idempotent producers', () => {
  it('answers a retried batch with its original offsets and appends nothing', async () => {
    const partition = harness().spawn()
    const batch = idempotentBatch(1n, 0, ['a', 'b'])
    await produce(partition, batchOf(['plain']))
    // The retry queued right behind the original is answered after the same commit.
    const [first, sameBurst] = await Promise.all([produce(partition, Buffer.from(batch)), produce(partition, Buffer.from(batch))])
    expect(first).toEqual({ baseOffset: 1n, logStartOffset: 0n, duplicate: false })
    expect(sameBurst).toEqual({ baseOffset: 1n, logStartOffset: 0n, duplicate: true })
    expect((await produce(partition, idempotentBatch(1n, 2, ['c']))).baseOffset).toBe(3n)
    expect(await produce(partition, Buffer.from(batch))).toMatchObject({ baseOffset: 1n, duplicate: true })
    expect((await describePartition(partition)).logEndOffset).toBe(4n)
  })

  it('refuses a sequence gap and an older epoch with typed errors naming the partition', async () => {
    const partition = harness().spawn()
    await produce(partition, idempotentBatch(1n, 0, ['a']))
    const gap = await settled(produce(partition, idempotentBatch(1n, 5, ['b'])))
    expect(gap).toBeInstanceOf(OutOfOrderSequenceError)
    expect(gap).toMatchObject({ topic: 'orders', partition: 0, producerId: 1n, expectedSequence: 1, receivedSequence: 5 })
    await produce(partition, idempotentBatch(1n, 0, ['new epoch'], 1))
    const fenced = await settled(produce(partition, idempotentBatch(1n, 1, ['zombie'], 0)))
    expect(fenced).toBeInstanceOf(ProducerFencedError)
    expect(fenced).toMatchObject({ topic: 'orders', partition: 0, producerId: 1n, producerEpoch: 0, currentEpoch: 1 })
    expect((await describePartition(partition)).logEndOffset).toBe(2n)
  })
})

describe('PartitionActor: restarts', () => {
  it('comes back on the same directory with its offsets and producer state', async () => {
    const { system, spawn, dataDir } = harness()
    const first = spawn()
    await produce(first, batchOf(['a', 'b']))
    const batch = idempotentBatch(9n, 0, ['c'])
    await produce(first, Buffer.from(batch))
    await system.stop(first)
    expect(readdirSync(partitionLogDir(dataDir, 'orders', 0))).toContain(`${'3'.padStart(20, '0')}.snapshot`)
    const second = spawn()
    expect(await describePartition(second)).toMatchObject({ logEndOffset: 3n, highWatermark: 3n })
    expect(await produce(second, Buffer.from(batch))).toMatchObject({ baseOffset: 2n, duplicate: true })
    expect((await produce(second, idempotentBatch(9n, 1, ['d']))).baseOffset).toBe(3n)
    expect(recordsIn((await fetchFrom(second, 0n)).records).map((record) => record.value)).toEqual(['a', 'b', 'c', 'd'])
  })

  it('is restarted by its supervisor after a handler throws, and works again with its data', async () => {
    let breakNextFlush = false
    const openLog = async (dir: string, config: LogConfigInput) => {
      const log = await Log.open(dir, config)
      const flushedPerPolicy = log.flushedPerPolicy.bind(log)
      log.flushedPerPolicy = () => {
        if (!breakNextFlush) return flushedPerPolicy()
        breakNextFlush = false
        return Promise.reject(new Error('EIO: disk went away'))
      }
      return log
    }
    const partition = harness({ flush: 'os' }, { openLog }).spawn()
    await produce(partition, batchOf(['before']))
    breakNextFlush = true
    const batch = idempotentBatch(4n, 0, ['during'])
    const failed = await settled(produce(partition, Buffer.from(batch)))
    expect(failed).toBeInstanceOf(ActorFailedError)
    expect((failed as Error).message).toContain('EIO: disk went away')
    // The new instance reopened the log: the batch was written, so its retry is a duplicate.
    expect(await produce(partition, Buffer.from(batch))).toMatchObject({ baseOffset: 1n, duplicate: true })
    expect((await produce(partition, batchOf(['after']))).baseOffset).toBe(2n)
    expect(recordsIn((await fetchFrom(partition, 0n)).records).map((record) => record.value)).toEqual(['before', 'during', 'after'])
  })
})

describe('PartitionActor: config, maintenance, deletion', () => {
  it('applies a new config by reopening the log, and refuses a bad one keeping the old', async () => {
    const partition = harness().spawn()
    await produce(partition, batchOf(['a'.repeat(100)]))
    const alter = (config: LogConfigInput) => partition.ask((replyTo) => ({ _tag: 'AlterConfig', config, replyTo }))
    const bad = await settled(alter({ retentionMs: 'soon' }))
    expect(bad).toBeInstanceOf(InvalidLogConfigError)
    expect(bad).toMatchObject({ key: 'retentionMs' })
    await alter({ flush: 'os', maxBatchBytes: 100 })
    expect(await settled(produce(partition, batchOf(['b'.repeat(100)])))).toBeInstanceOf(RecordBatchTooLargeError)
    expect((await produce(partition, batchOf(['c']))).baseOffset).toBe(1n)
  })

  it('applies retention on Maintain and snapshots the producer state', async () => {
    let now = 1_700_000_000_000
    const { spawn, dataDir } = harness({ flush: 'os', segmentBytes: 100, retentionMs: 1000 }, { nowMs: () => now })
    const partition = spawn()
    for (let i = 0; i < 4; i++) await produce(partition, idempotentBatch(3n, i, [`v${i}`.repeat(20)]))
    expect((await describePartition(partition)).segmentCount).toBeGreaterThan(2)
    now += 10_000_000_000
    await maintain(partition)
    const description = await describePartition(partition)
    expect(description.logStartOffset).toBe(4n)
    expect(await settled(fetchFrom(partition, 0n))).toBeInstanceOf(OffsetOutOfRangeError)
    const files = readdirSync(partitionLogDir(dataDir, 'orders', 0))
    expect(files.some((file) => file.endsWith('.snapshot'))).toBe(true)
  })

  it('runs its own Maintain on a timer', async () => {
    let now = 1_000_000
    const config = { flush: 'os', segmentBytes: 100, retentionMs: 1000 } as const
    const partition = harness(config, { nowMs: () => now, retentionCheckIntervalMs: 10 }).spawn()
    for (let i = 0; i < 3; i++) await produce(partition, batchOf([`v${i}`.repeat(30)], now))
    now += 10_000_000_000
    await eventually(async () => (await describePartition(partition)).logStartOffset !== 0n, { what: 'the timer-driven Maintain', timeoutMs: 10_000 })
    expect((await describePartition(partition)).logStartOffset).toBe(3n)
  })

  it('compacts when the cleanup policy says so', async () => {
    const partition = harness({ flush: 'os', segmentBytes: 80, cleanupPolicy: 'compact' }).spawn()
    for (const value of ['1', '2', '3', '4']) {
      await produce(partition, encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from(value) }], { now: 1000 }))
    }
    await maintain(partition)
    const kept = recordsIn((await fetchFrom(partition, 0n)).records)
    expect(kept.map((record) => record.value)).toEqual(['4'])
    expect(kept[0].offset).toBe(3n)
  })

  it('deletes its files on DeleteLog, fails parked fetches and stops', async () => {
    const { system, dataDir, spawn } = harness()
    const partition = spawn()
    await produce(partition, batchOf(['a']))
    const parked = settled(fetchFrom(partition, 1n, { maxWaitMs: 20_000 }))
    await partition.ask((replyTo) => ({ _tag: 'DeleteLog', replyTo }))
    expect(await parked).toBeInstanceOf(ClosedError)
    expect(existsSync(partitionLogDir(dataDir, 'orders', 0))).toBe(false)
    await eventually(() => system.find(partition.path) === undefined, { what: 'the partition stopped', timeoutMs: 10_000 })
  })
})
