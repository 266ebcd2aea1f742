import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { gunzipSync } from 'node:zlib'
import { optionsArb, recordArb } from './__fixtures__/arbitraries.js'
import { batchSizeAt, RECORDS_AT } from './batch-header.js'
import { decodeRecords, readBatchHeader } from './decoder.js'
import { InvalidRecordBatchInputError } from '../errors.js'
import { encodeRecordBatch, type EncodeRecordBatchOptions } from './encoder.js'
import type { RecordInput } from './record.js'
import { checkBatchAt } from './validate.js'
import { thrownBy } from '@rivulet/test-kit'

const errorOf = thrownBy

const text = (s: string): Buffer => Buffer.from(s)

describe('encodeRecordBatch', () => {
  it('round-trips any records, compression, producer fields and timestamp type', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 12 }), optionsArb, (records, options) => {
        const buf = encodeRecordBatch(records, options)
        expect(checkBatchAt(buf, 0)).toBeUndefined()
        expect(batchSizeAt(buf, 0)).toBe(buf.length)

        const timestamps = records.map((r) => r.timestamp ?? options.now!)
        const header = readBatchHeader(buf, 0)
        expect(header).toMatchObject({
          baseOffset: options.baseOffset,
          partitionLeaderEpoch: options.partitionLeaderEpoch,
          producerId: options.producerId ?? -1n,
          producerEpoch: options.producerEpoch ?? -1,
          baseSequence: options.baseSequence ?? -1,
          isTransactional: options.transactional ?? false,
          isControl: false,
          compression: options.compression,
          timestampType: options.timestampType,
          lastOffsetDelta: records.length - 1,
          recordCount: records.length,
          baseTimestamp: timestamps[0],
          maxTimestamp: Math.max(...timestamps),
          magic: 2,
        })

        const decoded = decodeRecords(buf, 0)
        expect(decoded.length).toBe(records.length)
        decoded.forEach((record, i) => {
          expect(record.offsetDelta).toBe(i)
          expect(header.baseTimestamp + record.timestampDelta).toBe(timestamps[i])
          expect(record.timestamp).toBe(options.timestampType === 'log-append' ? header.maxTimestamp : timestamps[i])
          expect(record.key).toEqual(records[i].key)
          expect(record.value).toEqual(records[i].value)
          expect(record.headers).toEqual(records[i].headers ?? [])
        })
      }),
      { numRuns: 250 },
    )
  })

  it('sizes the batch exactly: one header and the records, no slack', () => {
    const buf = encodeRecordBatch([{ key: text('k'), value: text('v') }], { now: 1000 })
    // length 1 + attributes 1 + timestampDelta 1 + offsetDelta 1 + key 2 + value 2 + header count 1
    expect(buf.length).toBe(RECORDS_AT + 9)
    expect(buf.readInt32BE(8)).toBe(buf.length - 12)
  })

  it('writes what a Kafka producer sends by default', () => {
    const header = readBatchHeader(encodeRecordBatch([{ key: null, value: text('v') }], { now: 5 }))
    expect(header).toMatchObject({
      baseOffset: 0n,
      partitionLeaderEpoch: -1,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      attributes: 0,
      baseTimestamp: 5,
      maxTimestamp: 5,
    })
  })

  it('takes the first record timestamp as base, the largest as max, and `now` for the ones without', () => {
    const records: RecordInput[] = [
      { key: null, value: null, timestamp: 2_000 },
      { key: null, value: null },
      { key: null, value: null, timestamp: 1_000 },
      { key: null, value: null, timestamp: 9_000 },
    ]
    const buf = encodeRecordBatch(records, { now: 3_000 })
    expect(readBatchHeader(buf)).toMatchObject({ baseTimestamp: 2_000, maxTimestamp: 9_000, lastOffsetDelta: 3 })
    expect(decodeRecords(buf).map((r) => [r.timestampDelta, r.timestamp])).toEqual([
      [0, 2_000],
      [1_000, 3_000],
      [-1_000, 1_000],
      [7_000, 9_000],
    ])
  })

  it('uses Date.now() when neither record nor options give a timestamp', () => {
    const before = Date.now()
    const { baseTimestamp } = readBatchHeader(encodeRecordBatch([{ key: null, value: null }]))
    expect(baseTimestamp).toBeGreaterThanOrEqual(before)
    expect(baseTimestamp).toBeLessThanOrEqual(Date.now())
  })

  it('gzips the records section, keeping recordCount in the clear', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: text(`key-${i}`), value: Buffer.alloc(100, i % 3) }))
    const plain = encodeRecordBatch(records, { now: 1 })
    const gzipped = encodeRecordBatch(records, { now: 1, compression: 'gzip' })
    expect(gzipped.length).toBeLessThan(plain.length / 4)
    expect(gzipped.readInt16BE(21) & 7).toBe(1)
    expect(gzipped.readInt32BE(57)).toBe(50)
    expect(gunzipSync(gzipped.subarray(RECORDS_AT))).toEqual(plain.subarray(RECORDS_AT))
  })

  it('writes the timestamp type and transactional bits', () => {
    const buf = encodeRecordBatch([{ key: null, value: null }], { timestampType: 'log-append', transactional: true })
    expect(buf.readInt16BE(21)).toBe(0x08 | 0x10)
  })

  it('writes header keys of any length and script as UTF-8', () => {
    const keys = ['', 'a'.repeat(63), 'b'.repeat(64), 'c'.repeat(200), 'abc€def', '€', 'x'.repeat(62) + 'é', '🙂 emoji', 'ü'.repeat(40)]
    const buf = encodeRecordBatch([{ key: null, value: null, headers: keys.map((key) => ({ key, value: text(key) })) }])
    expect(checkBatchAt(buf, 0)).toBeUndefined()
    const [decoded] = decodeRecords(buf)
    expect(decoded.headers).toEqual(keys.map((key) => ({ key, value: text(key) })))
  })

  it('refuses an empty batch with an error that says so', () => {
    const error = errorOf(() => encodeRecordBatch([]))
    expect(error).toBeInstanceOf(InvalidRecordBatchInputError)
    expect((error as Error).message).toBe('cannot encode record batch: a batch needs at least one record, got none')
  })

  it.each<[Partial<RecordInput>, EncodeRecordBatchOptions, RegExp]>([
    [{ timestamp: 1.5 }, {}, /record 0 has timestamp 1.5/],
    [{}, { now: Number.NaN }, /record 0 has timestamp NaN/],
    [{}, { producerEpoch: 40_000 }, /producerEpoch 40000 is not an int16/],
    [{}, { baseSequence: 2 ** 31 }, /baseSequence 2147483648 is not an int32/],
    [{}, { partitionLeaderEpoch: -(2 ** 31) - 1 }, /partitionLeaderEpoch .* is not an int32/],
    [{}, { baseOffset: 2n ** 63n }, /baseOffset 9223372036854775808 is not an int64/],
    [{}, { producerId: -(2n ** 63n) - 1n }, /producerId .* is not an int64/],
  ])('refuses bad input: %#', (record, options, reason) => {
    const error = errorOf(() => encodeRecordBatch([{ key: null, value: null, ...record }], options))
    expect(error).toBeInstanceOf(InvalidRecordBatchInputError)
    expect((error as Error).message).toMatch(reason)
  })

  it('refuses timestamps whose delta from the first is not a safe integer', () => {
    const records = [
      { key: null, value: null, timestamp: -(2 ** 52) },
      { key: null, value: null, timestamp: 2 ** 53 - 1 },
    ]
    expect(() => encodeRecordBatch(records)).toThrow(/record 1 has timestamp/)
  })

  it('encodes batches of any size, reusing nothing between calls', () => {
    const big = Array.from({ length: 3000 }, (_, i) => ({ key: null, value: text(String(i)) }))
    const first = encodeRecordBatch(big, { now: 7 })
    const small = encodeRecordBatch([{ key: text('x'), value: null }], { now: 7 })
    expect(decodeRecords(first).map((r) => r.value!.toString())).toEqual(big.map((r) => r.value.toString()))
    expect(decodeRecords(small)[0].key).toEqual(text('x'))
  })
})

describe('encodeRecordBatch with explicit offset deltas (compaction keeps records at their offsets)', () => {
  /** Records with strictly increasing deltas (gaps of 0 to 5) and a lastOffsetDelta at or past the last one. */
  const gappedArb = fc.record({
    records: fc.array(fc.tuple(recordArb, fc.nat(5)), { minLength: 1, maxLength: 12 }),
    firstDelta: fc.nat(1000),
    tail: fc.nat(7),
    options: optionsArb,
  })

  it('round-trips per-record offsetDelta and the batch lastOffsetDelta', () => {
    fc.assert(
      fc.property(gappedArb, ({ records: raw, firstDelta, tail, options }) => {
        let delta = firstDelta - 1
        const records = raw.map(([record, gap]) => ({ ...record, offsetDelta: (delta += gap + 1) }))
        const lastOffsetDelta = delta + tail
        const buf = encodeRecordBatch(records, { ...options, lastOffsetDelta })
        expect(checkBatchAt(buf, 0)).toBeUndefined()
        const header = readBatchHeader(buf)
        expect(header.lastOffsetDelta).toBe(lastOffsetDelta)
        expect(header.lastOffset).toBe(options.baseOffset! + BigInt(lastOffsetDelta))
        expect(header.recordCount).toBe(records.length)
        const decoded = decodeRecords(buf)
        expect(decoded.map((r) => r.offsetDelta)).toEqual(records.map((r) => r.offsetDelta))
        expect(decoded.map((r) => r.value)).toEqual(records.map((r) => r.value))
      }),
      { numRuns: 200 },
    )
  })

  it('writes the same bytes as the default when the deltas given are the indexes', () => {
    const records = [0, 1, 2].map((i) => ({ key: text(`k${i}`), value: text(`v${i}`), timestamp: 100 + i }))
    const plain = encodeRecordBatch(records)
    expect(encodeRecordBatch(records.map((r, i) => ({ ...r, offsetDelta: i })), { lastOffsetDelta: 2 })).toEqual(plain)
  })

  it('defaults lastOffsetDelta to the last record offsetDelta, and takes a larger one', () => {
    const records = [{ key: null, value: null, offsetDelta: 3 }, { key: null, value: null, offsetDelta: 8 }]
    expect(readBatchHeader(encodeRecordBatch(records)).lastOffsetDelta).toBe(8)
    expect(readBatchHeader(encodeRecordBatch(records, { lastOffsetDelta: 20 })).lastOffsetDelta).toBe(20)
    expect(readBatchHeader(encodeRecordBatch([{ key: null, value: null }], { lastOffsetDelta: 5 }))).toMatchObject({
      lastOffsetDelta: 5,
      recordCount: 1,
    })
  })

  it.each<[string, readonly (number | undefined)[], number | undefined, RegExp]>([
    ['an equal delta', [0, 2, 2], undefined, /record 2 has offsetDelta 2: .* above record 1's 2, strictly increasing/],
    ['a smaller delta', [5, 3], undefined, /record 1 has offsetDelta 3: .* above record 0's 5/],
    ['a default index below a given delta', [4, undefined], undefined, /record 1 has offsetDelta 1 \(its index: none given\)/],
    ['a negative delta', [-1], undefined, /record 0 has offsetDelta -1: offset deltas must be int32s, at least 0/],
    ['a fractional delta', [0, 1.5], undefined, /record 1 has offsetDelta 1.5/],
    ['NaN', [Number.NaN], undefined, /record 0 has offsetDelta NaN/],
    ['a delta past int32', [2 ** 31], undefined, /record 0 has offsetDelta 2147483648/],
    ['lastOffsetDelta below the last delta', [0, 7], 6, /lastOffsetDelta 6 is not an int32 at or above the last record's offsetDelta 7/],
    ['lastOffsetDelta past int32', [0], 2 ** 31, /lastOffsetDelta 2147483648 is not an int32/],
    ['a fractional lastOffsetDelta', [0], 0.5, /lastOffsetDelta 0.5 is not an int32/],
  ])('refuses %s with InvalidRecordBatchInputError', (_, deltas, lastOffsetDelta, reason) => {
    const records = deltas.map((offsetDelta) => ({ key: null, value: null, offsetDelta }))
    const error = errorOf(() => encodeRecordBatch(records, { lastOffsetDelta, compression: 'gzip' }))
    expect(error).toBeInstanceOf(InvalidRecordBatchInputError)
    expect((error as Error).message).toMatch(reason)
  })
})
