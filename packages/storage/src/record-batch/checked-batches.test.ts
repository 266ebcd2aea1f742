import { describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { CorruptRecordBatchError, RecordBatchTooLargeError } from '../errors.js'
import { Log } from '../log.js'
import { checkBatches, isCheckedBatches } from './checked-batches.js'
import { encodeRecordBatch } from './encoder.js'

const openLog = (config = {}) => {
  const dir = tempDir('checked')
  return Log.open(dir, { flush: 'os', ...config })
}

const batch = (...values: string[]) => encodeRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 1000 + v.length })))

describe('checkBatches', () => {
  it('checks every batch once and keeps what it learned: batches, records, newest timestamp, biggest batch', () => {
    const bytes = Buffer.concat([batch('a', 'bb'), batch('ccc')])
    const check = checkBatches(bytes, 1 << 20)
    expect(check.ok).toBe(true)
    if (!check.ok) return
    expect(check.batches).toMatchObject({ batchCount: 2, recordCount: 3, maxTimestamp: 1003, largestBatchBytes: batch('a', 'bb').length })
    expect(isCheckedBatches(check.batches)).toBe(true)
    expect(isCheckedBatches({ ...check.batches })).toBe(false)
  })

  it('refuses bad bytes with the position of the first bad batch, or one over the size limit', () => {
    const second = batch('x')
    second[second.length - 1]! ^= 1
    const bad = checkBatches(Buffer.concat([batch('a'), second]), 1 << 20)
    expect(bad).toMatchObject({ ok: false, position: batch('a').length })
    expect(!bad.ok && bad.error).toBeInstanceOf(CorruptRecordBatchError)
    const big = checkBatches(batch('a'), 10)
    expect(!big.ok && big.error).toBeInstanceOf(RecordBatchTooLargeError)
    expect(checkBatches(Buffer.alloc(0), 100).ok).toBe(false)
  })
})

describe('Log.append of checked batches', () => {
  it('takes them without computing the CRC again: a checked batch is trusted as it is', async () => {
    const log = await openLog()
    const bytes = batch('a', 'b')
    const check = checkBatches(bytes, 1 << 20)
    if (!check.ok) throw check.error
    // Damage after the check is not looked for: the check is the one validation of an append.
    bytes[bytes.length - 1]! ^= 1
    await expect(log.append(check.batches)).resolves.toMatchObject({ baseOffset: 0n, lastOffset: 1n, recordCount: 2, batchCount: 1 })
    // Raw bytes are still checked, the same way.
    await expect(log.append(bytes)).rejects.toBeInstanceOf(CorruptRecordBatchError)
    await log.close()
  })

  it('refuses checked batches bigger than the limit in force now, and a look-alike is checked as bytes', async () => {
    const log = await openLog({ maxBatchBytes: 100 })
    const check = checkBatches(batch('x'.repeat(200)), 1 << 20)
    if (!check.ok) throw check.error
    await expect(log.append(check.batches)).rejects.toBeInstanceOf(RecordBatchTooLargeError)
    await expect(log.append({ ...check.batches } as never)).rejects.toBeInstanceOf(CorruptRecordBatchError)
    expect(log.logEndOffset).toBe(0n)
    await log.close()
  })
})
