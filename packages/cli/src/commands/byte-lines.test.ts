import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { byteLines, parseSeparatorByte } from './byte-lines.js'

/** The oracle: every piece between separators, the last one only when it is not empty. */
const splitAt = (bytes: Uint8Array, separator: number): Buffer[] => {
  const lines: Buffer[] = []
  let current: number[] = []
  for (const byte of bytes) {
    if (byte === separator) {
      lines.push(Buffer.from(current))
      current = []
    } else {
      current.push(byte)
    }
  }
  if (current.length > 0) lines.push(Buffer.from(current))
  return lines
}

async function* chunksOf(bytes: Uint8Array, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let start = 0
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield Buffer.from(bytes.subarray(start, cut))
    start = cut
  }
  yield Buffer.from(bytes.subarray(start))
}

const collect = async (lines: AsyncIterable<Buffer>) => {
  const out: Buffer[] = []
  for await (const line of lines) out.push(Buffer.from(line))
  return out
}

describe('byteLines', () => {
  // Bytes drawn mostly from a few values so separators, \r and NUL are frequent.
  const bytes = fc.uint8Array({ maxLength: 300 }).chain((random) =>
    fc.constant(random.map((b) => (b % 4 === 0 ? [0x0a, 0x0d, 0x00, 0x09][b % 16 >> 2]! : b))),
  )

  test.prop([bytes, fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom(0x0a, 0x00, 0x09)])(
    'yields exactly the pieces between separators, however the input is cut into chunks',
    async (input, cuts, separator) => {
      expect(await collect(byteLines(chunksOf(input, cuts), separator))).toEqual(splitAt(input, separator))
    },
  )

  it('keeps \\r and invalid UTF-8, and reads strings as UTF-8', async () => {
    const input = Buffer.from([0x61, 0x0d, 0x0a, 0xff, 0xfe, 0x0a, 0x0a, 0x62])
    expect(await collect(byteLines(chunksOf(input, [1, 2, 4]), 0x0a))).toEqual([Buffer.from([0x61, 0x0d]), Buffer.from([0xff, 0xfe]), Buffer.alloc(0), Buffer.from('b')])
    async function* text() {
      yield 'é\nx'
    }
    expect(await collect(byteLines(text(), 0x0a))).toEqual([Buffer.from('é'), Buffer.from('x')])
  })
})

describe('parseSeparatorByte', () => {
  it.each([
    [':', 0x3a],
    ['\t', 0x09],
    ['\\t', 0x09],
    ['\\n', 0x0a],
    ['\\r', 0x0d],
    ['\\0', 0x00],
    ['\\\\', 0x5c],
    ['\\x00', 0x00],
    ['\\x1F', 0x1f],
    ['\\xff', 0xff],
  ])('reads %j as byte %i', (text, byte) => {
    expect(parseSeparatorByte(text)).toBe(byte)
  })

  it.each(['', '::', '\\x', '\\x1', '\\xzz', 'é', '\\q', 'constructor', 'toString'])('refuses %j', (text) => {
    expect(parseSeparatorByte(text)).toBeUndefined()
  })
})
