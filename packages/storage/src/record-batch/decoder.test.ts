import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CorruptRecordBatchError } from '../errors.js'
import { ATTRIBUTES_AT, BATCH_LENGTH_AT, MAGIC_AT, RECORD_COUNT_AT, RECORDS_AT } from './batch-header.js'
import { decodeRecords, readBatchHeader, RecordCursor } from './decoder.js'
import { encodeRecordBatch } from './encoder.js'
import { writeVarint, writeVarlong } from './varint.js'
import { thrownBy } from '@rivulet/test-kit'

const errorOf = (f: () => unknown): CorruptRecordBatchError => thrownBy(f, CorruptRecordBatchError)

const text = (s: string): Buffer => Buffer.from(s)

/** Varints, varlongs (as ['long', n]) and raw bytes, concatenated. */
const bytes = (...parts: (number | readonly ['long', number] | Buffer)[]): Buffer => {
  const buf = Buffer.alloc(1024)
  let pos = 0
  for (const part of parts) {
    if (Buffer.isBuffer(part)) pos += part.copy(buf, pos)
    else if (typeof part === 'number') pos = writeVarint(buf, pos, part)
    else pos = writeVarlong(buf, pos, part[1])
  }
  return buf.subarray(0, pos)
}

/** A record's body (after its length) with a key, value and headers as given. */
const body = (key: number | Buffer, value: number | Buffer, ...headers: (number | Buffer)[]): Buffer =>
  bytes(Buffer.from([0]), ['long', 0], 0, ...(typeof key === 'number' ? [key] : [key.length, key]), ...(typeof value === 'number' ? [value] : [value.length, value]), ...headers)

const record = (recordBody: Buffer): Buffer => bytes(recordBody.length, recordBody)

/** A real batch header around hand-made records bytes, optionally gzipped. */
const batchWith = (records: Buffer, recordCount: number, gzip = false): Buffer => {
  const template = encodeRecordBatch([{ key: null, value: null }], { now: 1000, compression: gzip ? 'gzip' : 'none' })
  const buf = Buffer.concat([template.subarray(0, RECORDS_AT), gzip ? gzipSync(records) : records])
  buf.writeInt32BE(buf.length - 12, BATCH_LENGTH_AT)
  buf.writeInt32BE(recordCount, RECORD_COUNT_AT)
  return buf
}

describe('readBatchHeader', () => {
  it('reads every field of a batch inside a larger buffer', () => {
    const batch = encodeRecordBatch([{ key: null, value: text('a') }, { key: null, value: text('b'), timestamp: 9 }], {
      baseOffset: 100n,
      partitionLeaderEpoch: 4,
      producerId: 77n,
      producerEpoch: 2,
      baseSequence: 10,
      transactional: true,
      now: 20,
    })
    const buf = Buffer.concat([Buffer.alloc(3), batch])
    expect(readBatchHeader(buf, 3)).toEqual({
      baseOffset: 100n,
      lastOffset: 101n,
      batchLength: batch.length - 12,
      sizeInBytes: batch.length,
      partitionLeaderEpoch: 4,
      magic: 2,
      crc: batch.readUInt32BE(17),
      attributes: 0x10,
      compression: 'none',
      timestampType: 'create',
      isTransactional: true,
      isControl: false,
      lastOffsetDelta: 1,
      baseTimestamp: 20,
      maxTimestamp: 20,
      producerId: 77n,
      producerEpoch: 2,
      baseSequence: 10,
      recordCount: 2,
    })
  })

  it('refuses fewer than 61 bytes', () => {
    const error = errorOf(() => readBatchHeader(Buffer.alloc(70), 10, 'a.log'))
    expect(error).toMatchObject({ file: 'a.log', position: 10, reason: 'truncated: 60 bytes left, a batch header needs 61' })
  })
})

describe('RecordCursor', () => {
  it('walks the records, giving views into the batch bytes', () => {
    const batch = encodeRecordBatch(
      [
        { key: text('k0'), value: text('v0'), timestamp: 50 },
        { key: null, value: Buffer.alloc(0), headers: [{ key: 'x', value: text('1') }, { key: 'y', value: null }], timestamp: 40 },
      ],
      { baseOffset: 5n },
    )
    const cursor = new RecordCursor(batch)
    expect(cursor.recordCount).toBe(2)
    expect(cursor.next()).toBe(true)
    expect(cursor).toMatchObject({ index: 1, offsetDelta: 0, timestampDelta: 0, timestamp: 50, key: text('k0'), value: text('v0'), headers: [] })
    const key = cursor.key!
    expect(key.buffer).toBe(batch.buffer)
    batch[key.byteOffset - batch.byteOffset] = 0x4b
    expect(key.toString()).toBe('K0')
    expect(cursor.next()).toBe(true)
    expect(cursor).toMatchObject({ index: 2, offsetDelta: 1, timestampDelta: -10, timestamp: 40, key: null, value: Buffer.alloc(0) })
    expect(cursor.headers).toEqual([{ key: 'x', value: text('1') }, { key: 'y', value: null }])
    expect(cursor.next()).toBe(false)
    expect(cursor.next()).toBe(false)
  })

  it("gives every record the batch's maxTimestamp when the type is log-append", () => {
    const batch = encodeRecordBatch([{ key: null, value: null, timestamp: 3 }, { key: null, value: null, timestamp: 8 }], { timestampType: 'log-append' })
    expect(decodeRecords(batch).map((r) => [r.timestampDelta, r.timestamp])).toEqual([[0, 8], [5, 8]])
  })

  it('refuses a bad header: magic, length, count, compression', () => {
    const good = encodeRecordBatch([{ key: null, value: null }])
    const cases: [(b: Buffer) => void, string][] = [
      [(b) => (b[MAGIC_AT] = 0), 'bad magic: 0 (expected 2)'],
      [(b) => b.writeInt32BE(10, BATCH_LENGTH_AT), 'bad length: batchLength 10 is below the minimum 49'],
      [(b) => b.writeInt32BE(500, BATCH_LENGTH_AT), `truncated: batch of 512 bytes but only ${good.length} bytes left`],
      [(b) => b.writeInt32BE(-2, RECORD_COUNT_AT), 'bad recordCount: -2'],
      [(b) => b.writeInt16BE(2, ATTRIBUTES_AT), 'unsupported compression snappy (attributes 2)'],
      [(b) => b.writeInt16BE(4, ATTRIBUTES_AT), 'unsupported compression zstd (attributes 4)'],
      [(b) => b.writeInt16BE(1, ATTRIBUTES_AT), 'gzip records do not inflate: incorrect header check'],
    ]
    for (const [damage, reason] of cases) {
      const buf = Buffer.concat([Buffer.alloc(9), good])
      damage(buf.subarray(9))
      expect(errorOf(() => new RecordCursor(buf, 9, 'b.log'))).toMatchObject({ file: 'b.log', position: 9, reason })
    }
  })

  it.each([
    ['a record length running past the end', bytes(Buffer.from([0x80])), 1, 'record 0: varint runs past the end (byte 0 of the batch records)'],
    ['a record length past the records', bytes(40, body(-1, -1, 0)), 1, 'record 0: length 40 does not fit the 6 bytes left (byte 0 of the batch records)'],
    ['a zero record length', bytes(0), 1, 'record 0: length 0 is below the 6 bytes of the smallest record (byte 0 of the batch records)'],
    ['a negative record length', bytes(-3, body(-1, -1, 0)), 1, 'record 0: length -3 is below the 6 bytes of the smallest record (byte 0 of the batch records)'],
    ['a key past its record', record(body(9, -1, 0)), 1, 'record 0: key length 9 does not fit the 2 bytes left in the record (byte 4 of the batch records)'],
    ['a value length below -1', record(body(-1, -2, 0)), 1, 'record 0: value length -2 does not fit the 1 bytes left in the record (byte 5 of the batch records)'],
    ['a negative header count', record(body(-1, -1, -1)), 1, 'record 0: header count -1 does not fit the 0 bytes left in the record (byte 6 of the batch records)'],
    ['more headers than bytes', record(body(-1, -1, 3, 0, -1)), 1, 'record 0: header count 3 does not fit the 2 bytes left in the record (byte 6 of the batch records)'],
    ['a negative header key length', record(body(-1, -1, 1, -1, -1)), 1, 'record 0: header 0 key length -1 does not fit the 1 bytes left in the record (byte 7 of the batch records)'],
    ['a header value past its record', record(body(-1, -1, 1, 0, 5)), 1, 'record 0: header 0 value length 5 does not fit the 0 bytes left in the record (byte 8 of the batch records)'],
    ['a varlong past its record', bytes(6, Buffer.from([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), 1, 'record 0: varlong runs past the end (byte 2 of the batch records)'],
    ['a length with bytes left over', record(Buffer.concat([body(-1, -1, 0), Buffer.from([7])])), 1, 'record 0: length 7 leaves 1 bytes unread after the headers (byte 0 of the batch records)'],
    ['fewer records than recordCount', Buffer.concat([record(body(-1, -1, 0)), record(body(-1, -1, 0))]), 3, 'the records end after 2 of the 3 recordCount announces'],
    ['more records than recordCount', Buffer.concat([record(body(-1, -1, 0)), record(body(-1, -1, 0))]), 1, '7 bytes follow the 1 records recordCount announces'],
  ])('refuses %s', (_, records, count, reason) => {
    const batch = batchWith(records, count)
    const expected = reason.replace('the batch records', 'the batch').replace(/\(byte (\d+) of the batch\)/, (_m, n: string) => `(byte ${Number(n) + RECORDS_AT} of the batch)`)
    expect(errorOf(() => decodeRecords(batch, 0, 'c.log'))).toMatchObject({ file: 'c.log', position: 0, reason: expected })
    const gzipped = batchWith(records, count, true)
    expect(errorOf(() => decodeRecords(gzipped))).toMatchObject({ reason: reason.replace('the batch records', 'the gunzipped records') })
  })

  it('names the record that is bad', () => {
    const records = Buffer.concat([record(body(text('a'), -1, 0)), record(body(7, -1, 0))])
    expect(errorOf(() => decodeRecords(batchWith(records, 2))).reason).toMatch(/^record 1: key length 7/)
  })

  it('throws only CorruptRecordBatchError on damaged records bytes, whatever the damage', () => {
    const good = encodeRecordBatch(
      Array.from({ length: 4 }, (_, i) => ({ key: text(`k${i}`), value: text('v'.repeat(i * 40)), headers: [{ key: 'h', value: text('x') }] })),
      { now: 1 },
    )
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (n, mask, cut) => {
        const damaged = Buffer.from(good)
        damaged[RECORDS_AT + (n % (good.length - RECORDS_AT))] ^= mask
        const truncatedRecords = good.subarray(RECORDS_AT, RECORDS_AT + (cut % (good.length - RECORDS_AT)))
        for (const batch of [damaged, batchWith(truncatedRecords, 4)]) {
          try {
            decodeRecords(batch)
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptRecordBatchError)
          }
        }
      }),
      { numRuns: 300 },
    )
  })
})
