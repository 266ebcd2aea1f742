import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { sizeOfVarint, sizeOfVarlong, VarintReader, writeVarint, writeVarlong } from './varint.js'

/** Reference zigzag + LEB128 over BigInt, the way Kafka's ByteUtils writes an int64. */
const referenceVarlong = (value: bigint): Buffer => {
  let raw = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  const bytes: number[] = []
  while (raw >= 0x80n) {
    bytes.push(Number(raw & 0x7fn) | 0x80)
    raw >>= 7n
  }
  bytes.push(Number(raw))
  return Buffer.from(bytes)
}

const encodeVarint = (value: number): Buffer => {
  const buf = Buffer.alloc(10)
  return buf.subarray(0, writeVarint(buf, 0, value))
}
const encodeVarlong = (value: number): Buffer => {
  const buf = Buffer.alloc(10)
  return buf.subarray(0, writeVarlong(buf, 0, value))
}

const int32Edges = [0, -1, 1, 63, -64, 64, -65, 8191, 8192, 2 ** 31 - 1, -(2 ** 31)]
const int64Edges = [
  ...int32Edges,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 34 - 1,
  2 ** 34,
  -(2 ** 34),
  -(2 ** 34) - 1,
  1_700_000_000_000,
  -1_700_000_000_000,
  2 ** 48,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
]

describe('varint (int32)', () => {
  it('writes the bytes the Kafka protocol documents', () => {
    expect(encodeVarint(0).toString('hex')).toBe('00')
    expect(encodeVarint(-1).toString('hex')).toBe('01')
    expect(encodeVarint(1).toString('hex')).toBe('02')
    expect(encodeVarint(-64).toString('hex')).toBe('7f')
    expect(encodeVarint(64).toString('hex')).toBe('8001')
    expect(encodeVarint(2 ** 31 - 1).toString('hex')).toBe('feffffff0f')
    expect(encodeVarint(-(2 ** 31)).toString('hex')).toBe('ffffffff0f')
  })

  it.each(int32Edges)('round-trips %d with a size that matches the bytes written', (value) => {
    const bytes = encodeVarint(value)
    expect(bytes).toEqual(referenceVarlong(BigInt(value)))
    expect(sizeOfVarint(value)).toBe(bytes.length)
    const reader = new VarintReader(bytes)
    expect(reader.readVarint()).toBe(value)
    expect(reader.pos).toBe(bytes.length)
  })

  it('round-trips any int32 in a stream of values', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 20 }), (values) => {
        const buf = Buffer.alloc(values.length * 5)
        let pos = 0
        for (const v of values) pos = writeVarint(buf, pos, v)
        expect(pos).toBe(values.reduce((n, v) => n + sizeOfVarint(v), 0))
        const reader = new VarintReader(buf, 0, pos)
        expect(values.map(() => reader.readVarint())).toEqual(values)
        expect(reader.pos).toBe(pos)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses a varint that runs past the end or is longer than 5 bytes', () => {
    expect(() => new VarintReader(Buffer.from([0x80, 0x80]), 0).readVarint()).toThrow(/past the end.*byte 0/)
    expect(() => new VarintReader(Buffer.from([]), 0).readVarint()).toThrow(/past the end/)
    expect(() => new VarintReader(Buffer.from([0xff, 0x80]), 0, 1).readVarint()).toThrow(/past the end/)
    expect(() => new VarintReader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).readVarint()).toThrow(/longer than 5/)
  })
})

describe('varlong (int64 as a safe-integer number)', () => {
  it.each(int64Edges)('round-trips %d, byte-identical to the BigInt reference', (value) => {
    const bytes = encodeVarlong(value)
    expect(bytes.toString('hex')).toBe(referenceVarlong(BigInt(value)).toString('hex'))
    expect(sizeOfVarlong(value)).toBe(bytes.length)
    const reader = new VarintReader(bytes)
    expect(reader.readVarlong()).toBe(value)
    expect(reader.pos).toBe(bytes.length)
  })

  it('reads any safe integer back, and reads what the reference writes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.integer({ min: -300, max: 300 })), (value) => {
        const bytes = encodeVarlong(value)
        expect(bytes).toEqual(referenceVarlong(BigInt(value)))
        expect(sizeOfVarlong(value)).toBe(bytes.length)
        expect(new VarintReader(referenceVarlong(BigInt(value))).readVarlong()).toBe(value)
      }),
      { numRuns: 300 },
    )
  })

  it('reads the 10-byte encodings of int64 min and max (rounded to the nearest number)', () => {
    expect(new VarintReader(referenceVarlong(2n ** 63n - 1n)).readVarlong()).toBe(2 ** 63)
    expect(new VarintReader(referenceVarlong(-(2n ** 63n))).readVarlong()).toBe(-(2 ** 63))
  })

  it('refuses a varlong that runs past the end or is longer than 10 bytes', () => {
    expect(() => new VarintReader(Buffer.from([0x81]), 0).readVarlong()).toThrow(/past the end/)
    expect(() => new VarintReader(Buffer.alloc(9, 0x80)).readVarlong()).toThrow(/past the end/)
    const eleven = Buffer.concat([Buffer.alloc(10, 0x80), Buffer.from([0x01])])
    expect(() => new VarintReader(eleven).readVarlong()).toThrow(/longer than 10/)
  })
})
