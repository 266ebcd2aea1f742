// A partition whose log has no room for some appends: the log (tested in storage) cuts such a
// batch back and throws StorageFullError; here the log is wrapped to throw it for chosen batches,
// and the actor must answer it as data, keep serving, and keep the producer state clean.
import { Log, type LogConfigInput, StorageFullError } from '@rivulet/storage'
import { afterEach, describe, expect, it } from 'vitest'
import { quietSystem } from '../actor/test-support/fixtures.js'
import { Supervision } from '../actor/supervision.js'
import type { BrokerLogger } from '../broker-logger.js'
import { partitionActor, partitionPath } from './partition-actor.js'
import { describePartition, fetchFrom, listOffset, maintain, produce, settled } from './test-support/partition-client.js'
import { batchOf as recordBatchOf, idempotentBatch, recordsIn, tempDir } from './test-support/records.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A partition whose appends fail with StorageFullError while `full(batch)` says so. */
const fullDiskPartition = (full: (batch: Buffer) => boolean) => {
  const { dir, remove } = tempDir('partition-disk-full')
  const { system, failures } = quietSystem()
  cleanups.push(remove, () => system.shutdown())
  const said: string[] = []
  const logger: BrokerLogger = { warn: (message) => said.push(message), error: (message) => said.push(message) }
  let opens = 0
  const openLog = async (logDir: string, config: LogConfigInput) => {
    opens++
    const log = await Log.open(logDir, config)
    const appendUnflushed = log.appendUnflushed.bind(log)
    log.appendUnflushed = (batches, options) => {
      const bytes = Buffer.isBuffer(batches) ? batches : batches.bytes
      if (full(bytes)) throw new StorageFullError({ file: logDir, bytes: bytes.length, code: 'ENOSPC' })
      return appendUnflushed(batches, options)
    }
    return log
  }
  const partition = system.spawn(
    partitionPath('test', 0, 'orders', 0),
    partitionActor({ topic: 'orders', partition: 0, dataDir: dir, config: { flush: 'every-batch' }, retentionCheckIntervalMs: 3_600_000, openLog, logger }),
    { supervision: Supervision.restart() },
  )
  return { partition, failures, said, opens: () => opens }
}

const valueOf = (batch: Buffer): string => recordsIn(batch)[0]!.value
// Stamped now, so that the Maintain below has nothing to delete by time.
const batchOf = (values: readonly string[]): Buffer => recordBatchOf(values, Date.now())

describe('PartitionActor on a full disk', () => {
  it('fails only the burst requests that did not fit, as StorageFullError, answers the others, and never restarts', async () => {
    const disk = { full: false }
    const { partition, failures, said, opens } = fullDiskPartition((batch) => disk.full || valueOf(batch).startsWith('big'))
    await describePartition(partition)
    const burst = await Promise.all([
      settled(produce(partition, batchOf(['a']))),
      settled(produce(partition, batchOf(['big-1']))),
      settled(produce(partition, batchOf(['b']))),
      settled(produce(partition, batchOf(['big-2']))),
    ])
    expect(burst[0]).toMatchObject({ baseOffset: 0n })
    expect(burst[1]).toBeInstanceOf(StorageFullError)
    expect(burst[1]).toMatchObject({ retriable: true, code: 'ENOSPC' })
    expect(burst[2]).toMatchObject({ baseOffset: 1n })
    expect(burst[3]).toBeInstanceOf(StorageFullError)

    disk.full = true
    expect(await settled(produce(partition, batchOf(['c'])))).toBeInstanceOf(StorageFullError)
    // Reads, offsets and maintenance go on meanwhile.
    expect(recordsIn((await fetchFrom(partition, 0n)).records).map((record) => record.value)).toEqual(['a', 'b'])
    expect(await listOffset(partition, 'latest')).toBe(2n)
    await maintain(partition)
    expect(await describePartition(partition)).toMatchObject({ logEndOffset: 2n, highWatermark: 2n })

    disk.full = false
    expect(await produce(partition, batchOf(['c']))).toMatchObject({ baseOffset: 2n })
    expect(recordsIn((await fetchFrom(partition, 0n)).records).map((record) => record.value)).toEqual(['a', 'b', 'c'])
    expect(opens()).toBe(1)
    expect(failures).toEqual([])
    // Said when appends begin failing and when they resume (twice each here), not once per request.
    expect(said.filter((line) => line.includes('appends fail'))).toHaveLength(2)
    expect(said.filter((line) => line.includes('appends resumed'))).toHaveLength(2)
  })

  it('does not record the sequences of a batch that did not fit: its retry is appended, not refused or answered as a duplicate', async () => {
    const disk = { full: true }
    const { partition } = fullDiskPartition(() => disk.full)
    expect(await settled(produce(partition, idempotentBatch(5n, 0, ['first', 'second'])))).toBeInstanceOf(StorageFullError)
    disk.full = false
    expect(await produce(partition, idempotentBatch(5n, 0, ['first', 'second']))).toEqual({ baseOffset: 0n, logStartOffset: 0n, duplicate: false })
    expect(await produce(partition, idempotentBatch(5n, 2, ['third']))).toMatchObject({ baseOffset: 2n, duplicate: false })
    expect(recordsIn((await fetchFrom(partition, 0n)).records).map((record) => record.value)).toEqual(['first', 'second', 'third'])
  })
})
