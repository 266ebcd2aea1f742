// A disk that runs out of room part-way through an append (node:fs's writeSync given a byte
// budget, as a full disk takes a partial write and then refuses) must leave the log byte-identical,
// answer StorageFullError, and take the next append at the right offset once room is back.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { LogNeedsRecoveryError, StorageFullError } from './errors.js'
import { Log } from './log.js'
import { decodeRecords } from './record-batch/decoder.js'
import { encodeRecordBatch } from './record-batch/encoder.js'
import { batchSizeAt, baseOffsetAt, lastOffsetAt } from './record-batch/batch-header.js'

const disk = vi.hoisted(() => ({ bytesLeft: Number.POSITIVE_INFINITY, fsyncFails: false }))

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const writeSync = ((fd: number, buffer: Buffer, offset?: number, length?: number, position?: number | null) => {
    const wanted = length ?? buffer.length - (offset ?? 0)
    if (disk.bytesLeft <= 0) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' })
    }
    const granted = Math.min(wanted, disk.bytesLeft)
    disk.bytesLeft -= granted
    return fs.writeSync(fd, buffer, offset, granted, position)
  }) as typeof fs.writeSync
  const fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    if (!disk.fsyncFails) return fs.fdatasync(fd, callback)
    const error = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })
    setImmediate(() => callback(error))
  }) as typeof fs.fdatasync
  return { ...fs, writeSync, fdatasync, default: { ...fs, writeSync, fdatasync } }
})

afterEach(() => {
  disk.bytesLeft = Number.POSITIVE_INFINITY
  disk.fsyncFails = false
})

/** `count` one-record batches back to back, values `${prefix}-${i}`. */
const batchesOf = (prefix: string, count: number): Buffer =>
  Buffer.concat(
    Array.from({ length: count }, (_, i) =>
      encodeRecordBatch([{ key: null, value: Buffer.from(`${prefix}-${i}`), timestamp: 1_700_000_000_000 + i }]),
    ),
  )

/** Every file of the directory and its bytes. */
const filesOf = (dir: string): Map<string, Buffer> =>
  new Map(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name))]))

const valuesOf = async (log: Log): Promise<Array<[bigint, string]>> => {
  const out: Array<[bigint, string]> = []
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const { bytes } = await log.read(offset, { maxBytes: 1 << 20 })
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      const base = baseOffsetAt(bytes, at)
      for (const record of decodeRecords(bytes, at)) out.push([base + BigInt(record.offsetDelta), record.value!.toString()])
      offset = lastOffsetAt(bytes, at) + 1n
    }
  }
  return out
}

const expected = (prefix: string, from: number, count: number): Array<[bigint, string]> =>
  Array.from({ length: count }, (_, i) => [BigInt(from + i), `${prefix}-${i}`])

/**
 * 30 batches already in; then 600 in one append (enough index entries that the append writes
 * the indexes itself), failing once `budget` bytes went to disk: in the `.log`, in the time index
 * or in the offset index, depending on the budget.
 */
const failAppendAt = async (budget: number, config: { segmentBytes?: number }) => {
  const dir = tempDir('disk-full')
  const log = await Log.open(dir, { indexIntervalBytes: 1, ...config })
  log.appendUnflushed(batchesOf('before', 30))
  const filesBefore = filesOf(dir)
  const stateBefore = { end: log.logEndOffset, size: log.sizeBytes, segments: log.segmentCount }

  disk.bytesLeft = budget
  try {
    expect(() => log.appendUnflushed(batchesOf('rejected', 600))).toThrow(StorageFullError)
  } finally {
    disk.bytesLeft = Number.POSITIVE_INFINITY
  }

  expect(filesOf(dir)).toEqual(filesBefore)
  expect({ end: log.logEndOffset, size: log.sizeBytes, segments: log.segmentCount }).toEqual(stateBefore)
  const retried = log.appendUnflushed(batchesOf('after', 600))
  expect(retried.baseOffset).toBe(30n)
  const segmentsAfterRetry = log.segmentCount
  const all = [...expected('before', 0, 30), ...expected('after', 30, 600)]
  expect(await valuesOf(log)).toEqual(all)
  await log.close()
  const reopened = await Log.open(dir, { indexIntervalBytes: 1, ...config })
  expect(await valuesOf(reopened)).toEqual(all)
  await reopened.close()
  return { segmentsBefore: stateBefore.segments, segmentsAfterRetry }
}

/** The bytes the append of failAppendAt writes when it succeeds: the log, then time entries, then offset entries. */
const bytesOfTheAppend = async (): Promise<{ log: number; timeIndex: number; total: number }> => {
  const log = await Log.open(tempDir('disk-full'), { indexIntervalBytes: 1 })
  log.appendUnflushed(batchesOf('before', 30))
  const budget = 1e12
  disk.bytesLeft = budget
  const logBytes = batchesOf('rejected', 600).length
  log.appendUnflushed(batchesOf('rejected', 600))
  const total = budget - disk.bytesLeft
  disk.bytesLeft = Number.POSITIVE_INFINITY
  const offsetIndexBytes = readFileSync(join(log.dir, '00000000000000000000.index')).length
  await log.close()
  return { log: logBytes, timeIndex: total - logBytes - offsetIndexBytes, total }
}

describe('Log on a full disk', () => {

  it('cuts a failed append back to the byte, wherever the write failed, and takes the next append at the same offset', async () => {
    const { total } = await bytesOfTheAppend()
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: total - 1 }), async (budget) => {
        await failAppendAt(budget, {})
      }),
      { numRuns: 15 },
    )
  })

  it('fails in the log, the time index and the offset index: the edges', async () => {
    const bytes = await bytesOfTheAppend()
    expect(bytes.timeIndex).toBeGreaterThan(0)
    const inTimeIndex = bytes.log + bytes.timeIndex
    for (const budget of [0, 1, bytes.log - 1, bytes.log, bytes.log + 5, inTimeIndex - 1, inTimeIndex, inTimeIndex + 3, bytes.total - 1]) {
      await failAppendAt(budget, {})
    }
  })

  it('removes the segment rolled for an append that failed, and rolls again when room is back', async () => {
    // 30 small batches fill more than segmentBytes: the big append rolls a new segment first.
    const { segmentsBefore, segmentsAfterRetry } = await failAppendAt(100, { segmentBytes: 2048 })
    expect(segmentsBefore).toBe(1)
    expect(segmentsAfterRetry).toBe(2)
  })

  it('rolls on a nearly full disk: the closed segment is flushed without its index entries, and no failure sticks', async () => {
    const dir = tempDir('disk-full')
    const log = await Log.open(dir, { indexIntervalBytes: 1, segmentBytes: 2048 })
    log.appendUnflushed(batchesOf('first', 30))
    const next = batchesOf('second', 1)
    // Room for the batch in the new segment, none for the entries the old one still buffers.
    disk.bytesLeft = next.length
    log.appendUnflushed(next)
    expect(log.segmentCount).toBe(2)
    await log.flush()
    disk.bytesLeft = Number.POSITIVE_INFINITY
    expect((await log.append(batchesOf('third', 1))).baseOffset).toBe(31n)
    await log.close()
    const reopened = await Log.open(dir, { indexIntervalBytes: 1, segmentBytes: 2048 })
    expect((await valuesOf(reopened)).map(([offset]) => offset)).toEqual(Array.from({ length: 32 }, (_, i) => BigInt(i)))
    await reopened.close()
  })

  it('has no sticky failure: many failures in a row, then appends go on', async () => {
    const dir = tempDir('disk-full')
    const log = await Log.open(dir)
    await log.append(batchesOf('kept', 3))
    disk.bytesLeft = 0
    for (let i = 0; i < 5; i++) await expect(log.append(batchesOf('rejected', 2))).rejects.toThrow(StorageFullError)
    disk.bytesLeft = Number.POSITIVE_INFINITY
    expect((await log.append(batchesOf('later', 2))).baseOffset).toBe(3n)
    expect(await valuesOf(log)).toEqual([...expected('kept', 0, 3), ...expected('later', 3, 2)])
    await log.close()
  })

  it('names the file, the bytes attempted and the errno, and says it is retriable', async () => {
    const dir = tempDir('disk-full')
    const log = await Log.open(dir)
    const batch = batchesOf('x', 1)
    disk.bytesLeft = 0
    let caught: unknown
    try {
      log.appendUnflushed(batch)
    } catch (error) {
      caught = error
    }
    disk.bytesLeft = Number.POSITIVE_INFINITY
    expect(caught).toBeInstanceOf(StorageFullError)
    expect(caught).toMatchObject({ file: join(dir, '00000000000000000000.log'), bytes: batch.length, code: 'ENOSPC', retriable: true })
    await log.close()
  })

  it('closes on a full disk, index entries left for the next open to catch up', async () => {
    const dir = tempDir('disk-full')
    const log = await Log.open(dir, { indexIntervalBytes: 1 })
    log.appendUnflushed(batchesOf('kept', 50))
    disk.bytesLeft = 0
    await log.close()
    disk.bytesLeft = Number.POSITIVE_INFINITY
    const reopened = await Log.open(dir, { indexIntervalBytes: 1 })
    expect(await valuesOf(reopened)).toEqual(expected('kept', 0, 50))
    await reopened.close()
  })

  it('opens on a full disk: the indexes it rebuilds wait in memory for room, reads go on', async () => {
    const dir = tempDir('disk-full')
    const log = await Log.open(dir, { indexIntervalBytes: 1 })
    log.appendUnflushed(batchesOf('kept', 600))
    await log.close()
    disk.bytesLeft = 0
    const reopened = await Log.open(dir, { indexIntervalBytes: 1 })
    expect(await valuesOf(reopened)).toEqual(expected('kept', 0, 600))
    expect(() => reopened.appendUnflushed(batchesOf('refused', 1))).toThrow(StorageFullError)
    await reopened.close()
    disk.bytesLeft = Number.POSITIVE_INFINITY
    const again = await Log.open(dir, { indexIntervalBytes: 1 })
    expect(await valuesOf(again)).toEqual(expected('kept', 0, 600))
    await again.close()
  })

  it('after a failed fsync acknowledges nothing and refuses appends until reopened, which recovers', async () => {
    const dir = tempDir('disk-full')
    const log = await Log.open(dir, { flush: 'every-batch' })
    await log.append(batchesOf('durable', 2))
    disk.fsyncFails = true
    await expect(log.append(batchesOf('unsynced', 1))).rejects.toMatchObject({ code: 'EIO' })
    disk.fsyncFails = false
    // The kernel may have dropped those pages: no later sync vouches for them, nothing is appended.
    expect(() => log.appendUnflushed(batchesOf('refused', 1))).toThrow(LogNeedsRecoveryError)
    await expect(log.flushedPerPolicy()).rejects.toMatchObject({ code: 'EIO' })
    expect((await valuesOf(log)).slice(0, 2)).toEqual(expected('durable', 0, 2))
    await log.close().catch(() => undefined)
    const reopened = await Log.open(dir, { flush: 'every-batch' })
    const next = await reopened.append(batchesOf('after-reopen', 1))
    expect(next.baseOffset).toBe(reopened.logEndOffset - 1n)
    await reopened.close()
  })
})
