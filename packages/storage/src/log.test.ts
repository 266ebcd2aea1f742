import { cpSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { CorruptRecordBatchError, InvalidLogConfigError, LogClosedError, LogCorruptedError, OffsetOutOfRangeError, RecordBatchTooLargeError } from './errors.js'
import { Log } from './log.js'
import { decodeRecords } from './record-batch/decoder.js'
import { encodeRecordBatch } from './record-batch/encoder.js'
import { batchSizeAt, baseOffsetAt, CRC_AT, lastOffsetAt } from './record-batch/batch-header.js'


const batchOf = (values: readonly string[], timestamp = Date.now()) =>
  encodeRecordBatch(values.map((v) => ({ key: Buffer.from(`k-${v}`), value: Buffer.from(v), timestamp })))

/** Every record from `from` to the end, reading batch by batch as a consumer would. */
const readAll = async (log: Log, from = log.logStartOffset): Promise<Array<{ offset: bigint; value: string }>> => {
  const out: Array<{ offset: bigint; value: string }> = []
  let offset = from
  while (offset < log.logEndOffset) {
    const { bytes } = await log.read(offset, { maxBytes: 64 })
    expect(bytes.length).toBeGreaterThan(0)
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      const base = baseOffsetAt(bytes, at)
      for (const r of decodeRecords(bytes, at)) {
        const recordOffset = base + BigInt(r.offsetDelta)
        if (recordOffset >= offset) out.push({ offset: recordOffset, value: r.value!.toString() })
      }
      offset = lastOffsetAt(bytes, at) + 1n
    }
  }
  return out
}

/** The directory as a crash would leave it (no close ran): a copy taken while the log is open. */
const crashCopy = (dir: string): string => {
  const copy = tempDir('log')
  cpSync(dir, copy, { recursive: true })
  return copy
}

const segmentLogFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.log')).sort()

describe('Log', () => {
  it('assigns dense offsets and reads back what it appended', async () => {
    const log = await Log.open(tempDir('log'), { flush: 'os' })
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0n, 0n])
    const first = await log.append(batchOf(['a', 'b', 'c']))
    const second = await log.append(batchOf(['d']))
    expect(first).toMatchObject({ baseOffset: 0n, lastOffset: 2n, recordCount: 3, batchCount: 1, logEndOffset: 3n })
    expect(second).toMatchObject({ baseOffset: 3n, lastOffset: 3n, logEndOffset: 4n })
    expect((await readAll(log)).map((r) => `${r.offset}:${r.value}`)).toEqual(['0:a', '1:b', '2:c', '3:d'])
    await log.close()
  })

  it('appends several batches given in one buffer, each with its own offsets', async () => {
    const log = await Log.open(tempDir('log'), { flush: 'os' })
    const result = await log.append(Buffer.concat([batchOf(['a', 'b']), batchOf(['c'])]))
    expect(result).toMatchObject({ baseOffset: 0n, lastOffset: 2n, batchCount: 2, recordCount: 3 })
    expect((await readAll(log)).map((r) => r.value)).toEqual(['a', 'b', 'c'])
    await log.close()
  })

  it('restores every offset after close and reopen', async () => {
    const dir = tempDir('log')
    const log = await Log.open(dir, { segmentBytes: 200, flush: 'os' })
    for (let i = 0; i < 20; i++) await log.append(batchOf([`v${i}`, `w${i}`]))
    const before = await readAll(log)
    await log.close()
    const reopened = await Log.open(dir, { segmentBytes: 200, flush: 'os' })
    expect(reopened.logEndOffset).toBe(40n)
    expect(reopened.segmentCount).toBeGreaterThan(3)
    expect(await readAll(reopened)).toEqual(before)
    expect(reopened.recovery).toBeUndefined()
    await reopened.close()
  })

  it('refuses a batch above maxBatchBytes and writes nothing', async () => {
    const dir = tempDir('log')
    const log = await Log.open(dir, { maxBatchBytes: 100, flush: 'os' })
    await log.append(batchOf(['ok']))
    const big = encodeRecordBatch([{ key: null, value: Buffer.alloc(200) }])
    const error = await log.append(big).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecordBatchTooLargeError)
    expect((error as RecordBatchTooLargeError).message).toMatch(/exceeds maxBatchBytes 100/)
    expect(log.logEndOffset).toBe(1n)
    await log.close()
    expect(statSync(join(dir, segmentLogFiles(dir)[0]!)).size).toBe(batchOf(['ok']).length)
  })

  it('takes a batch of exactly maxBatchBytes and refuses one a byte longer', async () => {
    const exact = encodeRecordBatch([{ key: null, value: Buffer.alloc(100) }])
    const longer = encodeRecordBatch([{ key: null, value: Buffer.alloc(101) }])
    expect(longer.length).toBe(exact.length + 1)
    const log = await Log.open(tempDir('log'), { maxBatchBytes: exact.length, flush: 'os' })
    expect(log.appendUnflushed(exact)).toMatchObject({ baseOffset: 0n, logEndOffset: 1n })
    expect(() => log.appendUnflushed(longer)).toThrow(RecordBatchTooLargeError)
    // Each batch of a multi-batch append is held to the limit on its own, not their sum.
    expect(log.appendUnflushed(Buffer.concat([exact, exact]))).toMatchObject({ baseOffset: 1n, logEndOffset: 3n })
    expect(() => log.appendUnflushed(Buffer.concat([exact, longer]))).toThrow(RecordBatchTooLargeError)
    expect(log.logEndOffset).toBe(3n)
    await log.close()
  })

  it('refuses corrupt, truncated or empty input with the position of the bad batch, writing nothing', async () => {
    const log = await Log.open(tempDir('log'), { flush: 'os' })
    const good = batchOf(['a'])
    const flipped = batchOf(['b'])
    flipped[flipped.length - 1]! ^= 0xff
    const both = Buffer.concat([good, flipped])
    await expect(log.append(both)).rejects.toMatchObject({ _tag: 'CorruptRecordBatchError', position: good.length })
    await expect(log.append(good.subarray(0, good.length - 3))).rejects.toBeInstanceOf(CorruptRecordBatchError)
    await expect(log.append(Buffer.alloc(0))).rejects.toThrow(/no record batch/)
    expect(log.logEndOffset).toBe(0n)
    await log.close()
  })

  it('reports reads outside [logStart, logEnd] as OffsetOutOfRangeError and the end as empty', async () => {
    const log = await Log.open(tempDir('log'), { flush: 'os' })
    await log.append(batchOf(['a', 'b']))
    expect((await log.read(2n, { maxBytes: 1000 })).bytes.length).toBe(0)
    const error = await log.read(3n, { maxBytes: 1000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OffsetOutOfRangeError)
    expect((error as Error).message).toBe('offset 3 is out of range [0, 2]')
    await expect(log.read(-1n, { maxBytes: 1000 })).rejects.toBeInstanceOf(OffsetOutOfRangeError)
    await log.close()
  })

  it('returns whole batches: the one holding the offset, and a first batch bigger than maxBytes', async () => {
    const log = await Log.open(tempDir('log'), { flush: 'os' })
    await log.append(batchOf(['a', 'b', 'c']))
    await log.append(batchOf(['d']))
    const { bytes } = await log.read(1n, { maxBytes: 1 })
    expect(baseOffsetAt(bytes, 0)).toBe(0n)
    expect(bytes.length).toBe(batchSizeAt(bytes, 0))
    const bounded = await log.read(0n, { maxBytes: 10_000, maxOffset: 3n })
    expect(bounded.bytes.length).toBe(batchSizeAt(bounded.bytes, 0))
    await log.close()
  })

  it('rolls segments on size and on age, naming them by base offset', async () => {
    let now = 1_000_000
    const dir = tempDir('log')
    const log = await Log.open(dir, { segmentBytes: 150, segmentMs: 60_000, flush: 'os' }, { nowMs: () => now })
    await log.append(batchOf(['a'], now))
    await log.append(batchOf(['b'], now))
    await log.append(batchOf(['c'], now))
    expect(segmentLogFiles(dir)).toEqual(['00000000000000000000.log', '00000000000000000002.log'])
    const bigLog = await Log.open(tempDir('log'), { segmentMs: 60_000, flush: 'os' }, { nowMs: () => now })
    await bigLog.append(batchOf(['a'], now))
    now += 60_001
    await bigLog.append(batchOf(['b'], now))
    expect(bigLog.segmentCount).toBe(2)
    await Promise.all([log.close(), bigLog.close()])
  })

  it('rolls and retains at exactly their boundaries: segmentBytes, segmentMs, retentionMs', async () => {
    let now = 1_000_000
    const size = batchOf(['a'], now).length
    const bySize = await Log.open(tempDir('log'), { segmentBytes: 2 * size, flush: 'os' }, { nowMs: () => now })
    await bySize.append(batchOf(['a'], now))
    await bySize.append(batchOf(['b'], now))
    expect(bySize.segmentCount).toBe(1)
    await bySize.append(batchOf(['c'], now))
    expect(bySize.segmentCount).toBe(2)

    const byAge = await Log.open(tempDir('log'), { segmentMs: 60_000, flush: 'os' }, { nowMs: () => now })
    await byAge.append(batchOf(['a'], now))
    await byAge.append(batchOf(['b'], now + 60_000))
    expect(byAge.segmentCount).toBe(1)
    await byAge.append(batchOf(['c'], now + 60_001))
    expect(byAge.segmentCount).toBe(2)

    const retained = await Log.open(tempDir('log'), { retentionMs: 5_000, flush: 'os' }, { nowMs: () => now })
    await retained.append(batchOf(['old'], now))
    await retained.roll()
    await retained.append(batchOf(['new'], now + 10_000))
    now += 5_000
    expect(await retained.applyRetention()).toEqual({ deletedSegments: 0, logStartOffset: 0n })
    now += 1
    expect(await retained.applyRetention()).toEqual({ deletedSegments: 1, logStartOffset: 1n })
    await Promise.all([bySize.close(), byAge.close(), retained.close()])
  })

  it('deletes expired segments, advancing the log start offset', async () => {
    let now = 10_000
    const log = await Log.open(tempDir('log'), { segmentBytes: 1, retentionMs: 5_000, flush: 'os' }, { nowMs: () => now })
    for (let i = 0; i < 5; i++) await log.append(batchOf([`v${i}`], now + i * 1_000))
    now = 10_000 + 4_000 + 5_001
    expect(await log.applyRetention()).toEqual({ deletedSegments: 5, logStartOffset: 5n })
    expect(log.logEndOffset).toBe(5n)
    await expect(log.read(4n, { maxBytes: 100 })).rejects.toBeInstanceOf(OffsetOutOfRangeError)
    const next = await log.append(batchOf(['after']))
    expect(next.baseOffset).toBe(5n)
    await log.close()
  })

  it('deletes oldest segments beyond retentionBytes', async () => {
    const log = await Log.open(tempDir('log'), { segmentBytes: 1, retentionMs: -1, retentionBytes: 250, flush: 'os' })
    for (let i = 0; i < 6; i++) await log.append(batchOf([`v${i}`]))
    const { deletedSegments } = await log.applyRetention()
    expect(deletedSegments).toBeGreaterThan(0)
    expect(log.sizeBytes).toBeGreaterThanOrEqual(250)
    expect((await readAll(log)).map((r) => r.value)).toEqual(
      ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'].slice(Number(log.logStartOffset)),
    )
    await log.close()
  })

  it('truncates to an offset, dropping whole batches and later segments', async () => {
    const log = await Log.open(tempDir('log'), { segmentBytes: 200, flush: 'os' })
    for (let i = 0; i < 10; i++) await log.append(batchOf([`a${i}`, `b${i}`]))
    await log.truncateTo(7n) // inside the batch [6, 7]: the whole batch goes
    expect(log.logEndOffset).toBe(6n)
    expect((await log.append(batchOf(['x']))).baseOffset).toBe(6n)
    expect((await readAll(log)).map((r) => r.value).slice(-2)).toEqual(['b2', 'x'])
    await log.truncateTo(0n)
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0n, 0n])
    await log.close()
  })

  it('truncates past a compaction gap to the offset asked, never handing a compacted-away offset out again', async () => {
    const dir = tempDir('log')
    const config = { flush: 'os', segmentMs: -1, retentionMs: -1, cleanupPolicy: 'compact' } as const
    const log = await Log.open(dir, config)
    const keyed = (key: string, value: string) => encodeRecordBatch([{ key: Buffer.from(key), value: Buffer.from(value), timestamp: 0 }])
    for (const [key, value] of [['a', '1'], ['b', '1'], ['b', '2']]) await log.append(keyed(key, value))
    await log.roll()
    await log.append(keyed('b', '3')) // offset 3: supersedes b at 1 and 2, so compaction empties [1, 3)
    await log.append(keyed('c', '1'))
    await log.roll()
    await log.append(keyed('d', '1'))
    await log.compact()
    // Compaction merged segment 3 into segment 0: the gap [1, 3) now lies inside segment 0.
    expect(log.segmentsForMaintenance().map((s) => [s.baseOffset, s.nextOffset])).toEqual([[0n, 5n], [5n, 6n]])
    await log.truncateTo(3n) // at the gap's end: offsets 1 and 2 were assigned, only compacted away
    expect(log.logEndOffset).toBe(3n)
    await log.truncateTo(2n) // inside the gap
    expect(log.logEndOffset).toBe(2n)
    expect((await log.append(keyed('x', '1'))).baseOffset).toBe(2n)
    await log.close()
    const reopened = await Log.open(dir, config)
    expect(reopened.logEndOffset).toBe(3n)
    expect((await reopened.read(1n, { maxBytes: 1000 })).bytes.length).toBeGreaterThan(0)
    await reopened.close()
  })

  it('finds the first offset at or after a timestamp', async () => {
    const log = await Log.open(tempDir('log'), { segmentBytes: 200, indexIntervalBytes: 1, flush: 'os' })
    for (let i = 0; i < 10; i++) await log.append(batchOf([`v${i}`], 1_000 + i * 10))
    expect(await log.offsetForTimestamp(0)).toBe(0n)
    expect(await log.offsetForTimestamp(1_045)).toBe(5n)
    expect(await log.offsetForTimestamp(1_050)).toBe(5n)
    expect(await log.offsetForTimestamp(1_091)).toBeUndefined()
    await log.close()
  })

  it('after a crash, cuts a torn tail above the recovery point and keeps every whole batch before it', async () => {
    const dir = tempDir('log')
    const log = await Log.open(dir, { flush: 'every-batch' })
    await log.append(batchOf(['a']))
    log.appendUnflushed(batchOf(['b'])) // written, never flushed: a crash may tear it
    const crashed = crashCopy(dir)
    await log.close()
    const file = join(crashed, segmentLogFiles(crashed)[0]!)
    truncateSync(file, statSync(file).size - 5)
    const reopened = await Log.open(crashed)
    expect(reopened.openReport).toMatchObject({ cleanShutdown: false, recoveryPoint: 1n })
    expect(reopened.damage).toBeUndefined()
    expect(reopened.recovery?.truncatedBytes).toBe(batchOf(['b']).length - 5)
    expect(reopened.recovery?.reason).toMatch(/truncated/)
    expect((await readAll(reopened)).map((r) => r.value)).toEqual(['a'])
    expect((await reopened.append(batchOf(['c']))).baseOffset).toBe(1n)
    await reopened.close()
  })

  it('never serves a corrupt batch of a closed segment: the error names file and position', async () => {
    const dir = tempDir('log')
    const log = await Log.open(dir, { segmentBytes: 1, flush: 'os' })
    for (let i = 0; i < 3; i++) await log.append(batchOf([`v${i}`]))
    await log.close()
    const first = join(dir, segmentLogFiles(dir)[0]!)
    const bytes = readFileSync(first)
    bytes[CRC_AT + 10]! ^= 0x01
    writeFileSync(first, bytes)
    const reopened = await Log.open(dir, { segmentBytes: 1, flush: 'os' })
    expect(reopened.corruptions).toEqual([{ file: first, position: 0, reason: expect.stringMatching(/CRC mismatch/) }])
    const error = await reopened.read(0n, { maxBytes: 1000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LogCorruptedError)
    expect(error).toMatchObject({ file: first, position: 0, firstOffset: 0n, endOffset: 1n })
    expect((await readAll(reopened, 1n)).map((r) => r.value)).toEqual(['v1', 'v2'])
    await reopened.close()
  })

  it('rejects calls after close, and a second close is harmless', async () => {
    const log = await Log.open(tempDir('log'))
    await log.close()
    await log.close()
    await expect(log.append(batchOf(['a']))).rejects.toBeInstanceOf(LogClosedError)
    await expect(log.read(0n, { maxBytes: 10 })).rejects.toBeInstanceOf(LogClosedError)
  })

  it('refuses a bad config naming the key', async () => {
    await expect(Log.open(tempDir('log'), { segmentBytes: -1 })).rejects.toBeInstanceOf(InvalidLogConfigError)
    await expect(Log.open(tempDir('log'), { flush: 'never' })).rejects.toThrow(/flush="never"/)
  })

  it('shares fsyncs between concurrent appends under flush every-batch', async () => {
    const log = await Log.open(tempDir('log'), { flush: 'every-batch' })
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(batchOf([`v${i}`]))))
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)))
    await log.close()
  })

  it('delete removes the directory', async () => {
    const dir = tempDir('log')
    const log = await Log.open(dir)
    await log.append(batchOf(['a']))
    await log.delete()
    expect(() => readdirSync(dir)).toThrow()
  })
})
