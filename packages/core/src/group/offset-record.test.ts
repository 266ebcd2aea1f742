// The offsets topic's records: bytes round-trip, compaction keys, replay, and bad bytes.
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { InvalidOffsetRecordError } from './group-errors.js'
import { decodeOffsetRecord, encodeOffsetRecord, replayOffsetRecords, type OffsetRecord } from './offset-record.js'

const record: fc.Arbitrary<OffsetRecord> = fc.oneof(
  fc.record({
    _tag: fc.constant('OffsetCommitted' as const),
    groupId: fc.string(),
    topic: fc.string({ minLength: 1 }),
    partition: fc.nat(),
    offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    metadata: fc.string(),
    commitTimestampMs: fc.nat(),
  }),
  fc.record({ _tag: fc.constant('OffsetDeleted' as const), groupId: fc.string(), topic: fc.string({ minLength: 1 }), partition: fc.nat() }),
)

describe('offset records', () => {
  test.prop([record], { numRuns: 200 })('decode what they encode', (r) => {
    const { key, value } = encodeOffsetRecord(r)
    expect(decodeOffsetRecord(key, value)).toEqual(r)
    expect(value === null).toBe(r._tag === 'OffsetDeleted')
  })

  test.prop([record, record], { numRuns: 200 })('share a key exactly when they name the same group and partition', (a, b) => {
    const same = a.groupId === b.groupId && a.topic === b.topic && a.partition === b.partition
    expect(encodeOffsetRecord(a).key.equals(encodeOffsetRecord(b).key)).toBe(same)
  })

  test.prop([fc.array(record, { maxLength: 30 }), fc.constantFrom('', 'g')], { numRuns: 200 })(
    'replay to the last record of each partition of the group, deletions removing it',
    (records, groupId) => {
      const last = new Map<string, OffsetRecord>()
      for (const r of records) if (r.groupId === groupId) last.set(JSON.stringify([r.topic, r.partition]), r)
      const expected = [...last.values()].filter((r) => r._tag === 'OffsetCommitted').map((r) => `${r.topic}/${r.partition}/${r._tag === 'OffsetCommitted' ? r.offset : ''}`)
      expect(replayOffsetRecords(groupId, records).map((c) => `${c.topic}/${c.partition}/${c.offset}`).sort()).toEqual(expected.sort())
    },
  )

  it('refuse bytes that are no offset record, saying what is wrong', () => {
    const key = encodeOffsetRecord({ _tag: 'OffsetDeleted', groupId: 'g', topic: 't', partition: 0 }).key
    expect(() => decodeOffsetRecord(Buffer.from('{'), null)).toThrow(new InvalidOffsetRecordError({ reason: 'the key is not JSON' }))
    expect(() => decodeOffsetRecord(Buffer.from('["offset",2,"g","t",0]'), null)).toThrow(InvalidOffsetRecordError)
    expect(() => decodeOffsetRecord(key, Buffer.from('{"offset":"-1","metadata":"","commitTimestampMs":0}'))).toThrow(
      'invalid offset commit record: value for g t-0 lacks offset, metadata or commitTimestampMs',
    )
  })
})
