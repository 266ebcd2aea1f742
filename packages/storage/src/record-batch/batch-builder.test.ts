import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { BatchBuilder } from './batch-builder.js'
import { decodeRecords, readBatchHeader } from './decoder.js'
import { encodeRecordBatch } from './encoder.js'
import type { RecordHeader } from './record.js'

const bytes = fc.option(fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)), { nil: null })
// Past 63 UTF-16 units or ASCII, header keys leave the record writer's short-ASCII path.
const headerKey = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 70 }))
const header: fc.Arbitrary<RecordHeader> = fc.record({ key: headerKey, value: bytes })
const record = fc.record({
  key: bytes,
  value: bytes,
  headers: fc.option(fc.array(header, { maxLength: 3 }), { nil: undefined }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
})
const identity = fc.oneof(
  fc.constant({ producerId: -1n, producerEpoch: -1, baseSequence: -1 }),
  fc.record({
    producerId: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    producerEpoch: fc.integer({ min: 0, max: 32767 }),
    baseSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }),
)

describe('BatchBuilder', () => {
  test.prop([fc.array(record, { minLength: 1, maxLength: 40 }), identity, fc.constantFrom('none' as const, 'gzip' as const), fc.integer({ min: 1, max: 512 })], {
    numRuns: 200,
  })('writes the bytes encodeRecordBatch writes for the same records', (records, id, compression, initialCapacity) => {
    const builder = new BatchBuilder(initialCapacity)
    for (const r of records) {
      const before = builder.sizeBytes
      const expected = builder.recordBytes(r.key, r.value, r.headers, r.timestamp)
      builder.append(r.key, r.value, r.headers, r.timestamp)
      expect(builder.sizeBytes - before).toBe(expected)
    }
    const built = builder.build(id, compression)
    const reference = encodeRecordBatch(records, { ...id, compression })
    expect(built.equals(reference)).toBe(true)
    expect(builder.count).toBe(records.length)
  })

  it('reports the size of the batch so far, header included', () => {
    const builder = new BatchBuilder()
    expect(builder.sizeBytes).toBe(61)
    builder.append(Buffer.from('k'), Buffer.from('value'), undefined, 1000)
    const built = builder.build({ producerId: 7n, producerEpoch: 1, baseSequence: 42 }, 'none')
    expect(built.length).toBe(builder.sizeBytes)
    expect(readBatchHeader(built)).toMatchObject({ producerId: 7n, producerEpoch: 1, baseSequence: 42, recordCount: 1, baseTimestamp: 1000 })
    expect(decodeRecords(built).map((r) => r.value?.toString())).toEqual(['value'])
  })
})
