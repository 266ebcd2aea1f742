import { describe, expect, it } from 'vitest'
import { murmur2, toPositive } from './murmur2.js'

describe('murmur2', () => {
  it.each([
    // Values of Kafka's Java Utils.murmur2 for these UTF-8 keys.
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
    ['', 275646681],
  ])('murmur2(%j) = %i', (key, hash) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(hash)
  })

  it('toPositive clears the sign bit', () => {
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(42)).toBe(42)
  })
})
