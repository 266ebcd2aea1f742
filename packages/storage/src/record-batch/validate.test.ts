import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CorruptRecordBatchError } from '../errors.js'
import { ATTRIBUTES_AT, CRC_AT, LAST_OFFSET_DELTA_AT, MAGIC_AT, RECORD_COUNT_AT, writeBaseOffsetAt, writePartitionLeaderEpochAt } from './batch-header.js'
import { crc32cOfRange } from './crc32c.js'
import { encodeRecordBatch } from './encoder.js'
import type { RecordInput } from './record.js'
import { checkBatchAt, validateBatchesIn } from './validate.js'
import { thrownBy } from '@rivulet/test-kit'

const errorOf = thrownBy

const records = (count: number, timestamp = 1_000): RecordInput[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.from(`value-${i}`),
    headers: [{ key: 'h', value: null }],
    timestamp: timestamp + i,
  }))

const batches = [encodeRecordBatch(records(3)), encodeRecordBatch(records(20, 5_000), { compression: 'gzip' })]

const withFixedCrc = (buf: Buffer): Buffer => {
  buf.writeUInt32BE(crc32cOfRange(buf, ATTRIBUTES_AT, buf.length), CRC_AT)
  return buf
}

describe('checkBatchAt', () => {
  it.each(batches.map((b, i) => [i, b] as const))('accepts a valid batch (%d), at any position inside a buffer', (_, batch) => {
    expect(checkBatchAt(batch, 0)).toBeUndefined()
    const framed = Buffer.concat([Buffer.alloc(7, 0xee), batch, Buffer.alloc(5, 0xee)])
    expect(checkBatchAt(framed, 7)).toBeUndefined()
    expect(checkBatchAt(framed, 7, 7 + batch.length)).toBeUndefined()
  })

  it('ignores the fields the log rewrites in place: baseOffset and partitionLeaderEpoch', () => {
    const batch = Buffer.from(batches[0])
    writeBaseOffsetAt(batch, 0, 123_456n)
    writePartitionLeaderEpochAt(batch, 0, 9)
    expect(checkBatchAt(batch, 0)).toBeUndefined()
  })

  it('reports a CRC mismatch, with both values in hex, for any byte changed in the covered region', () => {
    fc.assert(
      fc.property(fc.constantFrom(...batches), fc.nat(), fc.integer({ min: 1, max: 255 }), (batch, n, mask) => {
        const copy = Buffer.from(batch)
        const at = ATTRIBUTES_AT + (n % (copy.length - ATTRIBUTES_AT))
        copy[at] ^= mask
        const stored = copy.readUInt32BE(CRC_AT).toString(16).padStart(8, '0')
        const computed = crc32cOfRange(copy, ATTRIBUTES_AT, copy.length).toString(16).padStart(8, '0')
        expect(checkBatchAt(copy, 0)).toBe(`CRC mismatch: stored 0x${stored}, computed 0x${computed}`)
      }),
      { numRuns: 300 },
    )
  })

  it('reports a CRC mismatch when the stored CRC itself is damaged', () => {
    const copy = Buffer.from(batches[0])
    copy[CRC_AT + 3] ^= 0x40
    expect(checkBatchAt(copy, 0)).toMatch(/^CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$/)
  })

  it('reports truncation for every length short of the whole batch, by `end` or by the buffer', () => {
    for (const batch of batches) {
      for (let length = 0; length < batch.length; length++) {
        const expected =
          length < 12
            ? `truncated: ${length} bytes left, fewer than the 12 of a batch's offset and length`
            : `truncated: batch of ${batch.length} bytes but only ${length} bytes left`
        expect(checkBatchAt(batch, 0, length)).toBe(expected)
        expect(checkBatchAt(batch.subarray(0, length), 0)).toBe(expected)
      }
    }
  })

  it('reports a batchLength below the 49-byte minimum as a bad length', () => {
    const copy = Buffer.from(batches[0])
    copy.writeInt32BE(48, 8)
    expect(checkBatchAt(copy, 0)).toBe('bad length: batchLength 48 is below the minimum 49')
    copy.writeInt32BE(-1, 8)
    expect(checkBatchAt(copy, 0)).toBe('bad length: batchLength -1 is below the minimum 49')
    expect(checkBatchAt(Buffer.alloc(100), 0)).toBe('bad length: batchLength 0 is below the minimum 49')
  })

  it('reports a magic other than 2', () => {
    const copy = Buffer.from(batches[0])
    copy[MAGIC_AT] = 1
    expect(checkBatchAt(copy, 0)).toBe('bad magic: 1 (expected 2)')
  })

  it('reports a negative recordCount or lastOffsetDelta, and more records than offsets, behind a good CRC', () => {
    const negativeCount = Buffer.from(batches[0])
    negativeCount.writeInt32BE(-3, RECORD_COUNT_AT)
    expect(checkBatchAt(withFixedCrc(negativeCount), 0)).toBe('bad recordCount: -3')
    const negativeDelta = Buffer.from(batches[0])
    negativeDelta.writeInt32BE(-1, LAST_OFFSET_DELTA_AT)
    expect(checkBatchAt(withFixedCrc(negativeDelta), 0)).toBe('bad lastOffsetDelta: -1')
    const tooMany = Buffer.from(batches[0])
    tooMany.writeInt32BE(1, LAST_OFFSET_DELTA_AT)
    expect(checkBatchAt(withFixedCrc(tooMany), 0)).toBe('bad recordCount: 3 records but lastOffsetDelta 1 spans only 2 offsets')
  })

  it('accepts fewer records than offsets, as compaction leaves them', () => {
    const compacted = Buffer.from(batches[0])
    compacted.writeInt32BE(7, LAST_OFFSET_DELTA_AT)
    expect(checkBatchAt(withFixedCrc(compacted), 0)).toBeUndefined()
  })
})

describe('validateBatchesIn', () => {
  const run = Buffer.concat([...batches, batches[0]])

  it('walks consecutive batches and adds up what they hold', () => {
    expect(validateBatchesIn(run, 'x.log')).toEqual({
      batchCount: 3,
      recordCount: 26,
      offsetCount: 26,
      maxTimestamp: 5_019,
      byteLength: run.length,
    })
  })

  it('finds nothing in no bytes', () => {
    expect(validateBatchesIn(Buffer.alloc(0), 'x.log')).toEqual({ batchCount: 0, recordCount: 0, offsetCount: 0, maxTimestamp: -1, byteLength: 0 })
  })

  it('throws at the first bad batch, naming the file and its position from basePosition', () => {
    const copy = Buffer.from(run)
    const third = batches[0].length + batches[1].length
    copy[third + 70] ^= 1
    const error = errorOf(() => validateBatchesIn(copy, '00000000000000000000.log', 4096))
    expect(error).toBeInstanceOf(CorruptRecordBatchError)
    expect(error).toMatchObject({ file: '00000000000000000000.log', position: 4096 + third })
    expect((error as CorruptRecordBatchError).reason).toMatch(/^CRC mismatch/)
  })

  it('throws on a torn tail', () => {
    const torn = run.subarray(0, run.length - 1)
    const error = errorOf(() => validateBatchesIn(torn, 'y.log')) as CorruptRecordBatchError
    expect(error).toBeInstanceOf(CorruptRecordBatchError)
    expect(error.position).toBe(batches[0].length + batches[1].length)
    expect(error.message).toBe(
      `corrupt record batch in y.log at byte ${error.position}: truncated: batch of ${batches[0].length} bytes but only ${batches[0].length - 1} bytes left`,
    )
  })
})
