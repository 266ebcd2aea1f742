/**
 * Byte-for-byte agreement with KafkaJS 2.2.4, used as an oracle only: its RecordBatch v0 encoder
 * (src/protocol/recordBatch/v0) and ours must write the same bytes for the same input, and each
 * decoder must read the other's output. KafkaJS follows the spec in the byte layout; it differs
 * only in defaults (partitionLeaderEpoch 0, producerEpoch 0, baseSequence 0 where Kafka producers
 * send -1), so every field is passed explicitly. It cannot write a null header value (its size
 * code calls Buffer.byteLength(null)), repeated header keys (headers are an object), or the
 * log-append timestamp type, so the generated input leaves those out here; encoder.test.ts
 * covers them.
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bytesArb, nullableBytesArb, timestampArb } from './__fixtures__/arbitraries.js'
import { kafkajsGoldenBatchHex } from './__fixtures__/kafkajs-record-batch.js'
import { decodeRecords, readBatchHeader } from './decoder.js'
import { encodeRecordBatch } from './encoder.js'
import type { RecordInput } from './record.js'

// KafkaJS is untyped CommonJS: its modules come in as `any`.
const require = createRequire(import.meta.url)
const kafkajsRoot = dirname(require.resolve('kafkajs/package.json'))
const kafkajs = (path: string): any => require(`${kafkajsRoot}/src/${path}`)
const { RecordBatch: kafkajsRecordBatch } = kafkajs('protocol/recordBatch/v0/index.js')
const kafkajsRecord = kafkajs('protocol/recordBatch/record/v0/index.js')
const kafkajsDecodeBatch = kafkajs('protocol/recordBatch/v0/decoder.js')
const KafkajsDecoder = kafkajs('protocol/decoder.js')
const Long = kafkajs('utils/long.js')

type Input = {
  readonly records: readonly RecordInput[]
  readonly baseOffset: bigint
  readonly partitionLeaderEpoch: number
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly transactional: boolean
  readonly compression: 'none' | 'gzip'
}

const encodeWithKafkajs = async (input: Input): Promise<Buffer> => {
  const timestamps = input.records.map((r) => r.timestamp!)
  const records = input.records.map((r, i) =>
    kafkajsRecord({
      offsetDelta: i,
      timestampDelta: timestamps[i] - timestamps[0],
      key: r.key,
      value: r.value,
      headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
    }),
  )
  const encoder = await kafkajsRecordBatch({
    compression: input.compression === 'gzip' ? 1 : 0,
    firstOffset: Long.fromString(input.baseOffset.toString()),
    firstTimestamp: timestamps[0],
    maxTimestamp: Math.max(...timestamps),
    partitionLeaderEpoch: input.partitionLeaderEpoch,
    lastOffsetDelta: records.length - 1,
    transactional: input.transactional,
    producerId: Long.fromString(input.producerId.toString()),
    producerEpoch: input.producerEpoch,
    firstSequence: input.baseSequence,
    records,
  })
  return encoder.buffer
}

const encodeWithOurs = (input: Input): Buffer => encodeRecordBatch(input.records, input)

const goldenInput: Input = {
  records: [
    { key: Buffer.from('k1'), value: Buffer.from('hello'), headers: [{ key: 'trace', value: Buffer.from('abc') }], timestamp: 1_700_000_000_000 },
    { key: null, value: Buffer.from('v2'), timestamp: 1_700_000_000_005 },
    {
      key: Buffer.from('k3'),
      value: null,
      headers: [
        { key: 'a', value: Buffer.alloc(0) },
        { key: 'é', value: Buffer.from([0, 255]) },
      ],
      timestamp: 1_700_000_000_002,
    },
  ],
  baseOffset: 42n,
  partitionLeaderEpoch: -1,
  producerId: 1234n,
  producerEpoch: 3,
  baseSequence: 7,
  transactional: false,
  compression: 'none',
}

const inputArb: fc.Arbitrary<Input> = fc.record({
  records: fc.array(
    fc.record({
      key: nullableBytesArb,
      value: nullableBytesArb,
      // Prefixed so that no key looks like an array index, which an object would reorder.
      headers: fc.uniqueArray(
        fc.record({ key: fc.string({ maxLength: 8, unit: 'grapheme' }).map((k) => `h${k}`), value: bytesArb(20) }),
        { maxLength: 3, selector: (h) => h.key },
      ),
      timestamp: timestampArb,
    }),
    { minLength: 1, maxLength: 10 },
  ),
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  transactional: fc.boolean(),
  compression: fc.constantFrom('none' as const, 'gzip' as const),
})

/** KafkaJS's view of a batch, with everything as it reports it (strings for int64s, headers as an object). */
const expectedKafkajsView = (input: Input) => {
  const base = input.records[0].timestamp!
  return {
    firstOffset: input.baseOffset.toString(),
    firstTimestamp: String(base),
    maxTimestamp: String(Math.max(...input.records.map((r) => r.timestamp!))),
    partitionLeaderEpoch: input.partitionLeaderEpoch,
    inTransaction: input.transactional,
    isControlBatch: false,
    lastOffsetDelta: input.records.length - 1,
    producerId: input.producerId.toString(),
    producerEpoch: input.producerEpoch,
    firstSequence: input.baseSequence,
    records: input.records.map((r, i) => ({
      offset: (input.baseOffset + BigInt(i)).toString(),
      timestamp: String(r.timestamp),
      key: r.key,
      value: r.value,
      headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
    })),
  }
}

const expectOursToRead = (buf: Buffer, input: Input): void => {
  expect(readBatchHeader(buf)).toMatchObject({
    baseOffset: input.baseOffset,
    partitionLeaderEpoch: input.partitionLeaderEpoch,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: input.baseSequence,
    isTransactional: input.transactional,
    compression: input.compression,
    recordCount: input.records.length,
  })
  const decoded = decodeRecords(buf)
  expect(decoded.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }))).toEqual(
    input.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? [], timestamp: r.timestamp })),
  )
}

describe('agreement with KafkaJS 2.2.4', () => {
  it('reproduces the saved KafkaJS golden batch byte for byte', () => {
    expect(encodeWithOurs(goldenInput).toString('hex')).toBe(kafkajsGoldenBatchHex)
  })

  it('reads the saved KafkaJS golden batch', () => {
    expectOursToRead(Buffer.from(kafkajsGoldenBatchHex, 'hex'), goldenInput)
  })

  it('has the golden batch KafkaJS writes today', async () => {
    expect((await encodeWithKafkajs(goldenInput)).toString('hex')).toBe(kafkajsGoldenBatchHex)
  })

  it('writes the same bytes as KafkaJS for any input, and each reads the other', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, async (input) => {
        const theirs = await encodeWithKafkajs(input)
        const ours = encodeWithOurs(input)
        expect(ours.toString('hex')).toBe(theirs.toString('hex'))
        expectOursToRead(theirs, input)
        const view = await kafkajsDecodeBatch(new KafkajsDecoder(ours))
        expect(view).toMatchObject(expectedKafkajsView(input))
      }),
      { numRuns: 150 },
    )
  })
})
