import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { crc32c, crc32cOfRange } from './crc32c.js'

/** Bit-by-bit reference (reflected polynomial 0x82F63B78), slow but obviously right. */
const referenceCrc32c = (bytes: Uint8Array): number => {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('crc32c', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
  })

  it('is 0 for no bytes and unsigned for every input', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0)
    expect(crc32c(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toBeGreaterThan(0x7fffffff)
  })

  it('matches the bitwise reference, in one call or continued over two', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const expected = referenceCrc32c(bytes)
        const at = bytes.length === 0 ? 0 : cut % bytes.length
        expect(crc32c(bytes)).toBe(expected)
        expect(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at)))).toBe(expected)
      }),
      { numRuns: 200 },
    )
  })

  it('checksums a range of a larger buffer without looking outside it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = a % (bytes.length + 1)
        const end = start + (b % (bytes.length - start + 1))
        const inner = Buffer.from(bytes)
        const outer = Buffer.concat([Buffer.from([1, 2, 3]), inner, Buffer.from([4])]).subarray(3, 3 + inner.length)
        expect(crc32cOfRange(outer, start, end)).toBe(referenceCrc32c(bytes.subarray(start, end)))
      }),
      { numRuns: 200 },
    )
  })
})
