/** fast-check arbitraries shared by the record-batch tests: records and encoder options. */
import fc from 'fast-check'
import type { EncodeRecordBatchOptions } from '../encoder.js'
import type { RecordHeader, RecordInput } from '../record.js'

export const bytesArb = (maxLength = 40): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes))

export const nullableBytesArb = fc.oneof(fc.constant(null), fc.constant(Buffer.alloc(0)), bytesArb())

/** Timestamps around now, with the odd one before the first record's (a negative delta). */
export const timestampArb = fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 })

export const headerArb: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.string({ maxLength: 12, unit: 'grapheme' }),
  value: nullableBytesArb,
})

export const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: nullableBytesArb,
    value: nullableBytesArb,
    headers: fc.array(headerArb, { maxLength: 3 }),
    timestamp: timestampArb,
  },
  { requiredKeys: ['key', 'value'] },
)

export const producerFieldsArb = fc.oneof(
  fc.constant({}),
  fc.record({
    producerId: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    producerEpoch: fc.integer({ min: 0, max: 32767 }),
    baseSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    transactional: fc.boolean(),
  }),
)

export const optionsArb: fc.Arbitrary<EncodeRecordBatchOptions> = fc
  .tuple(
    producerFieldsArb,
    fc.record({
      baseOffset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      compression: fc.constantFrom('none' as const, 'gzip' as const),
      timestampType: fc.constantFrom('create' as const, 'log-append' as const),
      now: timestampArb,
    }),
  )
  .map(([producer, rest]) => ({ ...producer, ...rest }))
