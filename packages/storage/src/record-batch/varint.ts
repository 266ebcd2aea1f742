/**
 * Kafka's zigzag varints: `varint` for int32 fields (lengths, offset deltas, counts) and `varlong`
 * for int64 fields (timestamp deltas) held as JS numbers, exact for safe integers (|v| <= 2^53 - 1).
 * Writers put bytes at a position and return the position after them; reads go through
 * VarintReader, which keeps its position in a field so a read allocates nothing.
 */

// Largest weight a 10th (last allowed) varlong byte can carry: 2^(7 * 9 - 1).
const LAST_VARLONG_GROUP_WEIGHT = 2 ** 62

/** Bytes that writeVarint(value) takes; `value` is an int32. */
export const sizeOfVarint = (value: number): number => {
  const raw = ((value << 1) ^ (value >> 31)) >>> 0
  return raw < 0x80 ? 1 : raw < 0x4000 ? 2 : raw < 0x200000 ? 3 : raw < 0x10000000 ? 4 : 5
}

/** Writes `value` (an int32) zigzag-encoded at `pos`; returns the position after it. */
export const writeVarint = (buf: Uint8Array, pos: number, value: number): number => {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0
  while (raw >= 0x80) {
    buf[pos++] = (raw & 0x7f) | 0x80
    raw >>>= 7
  }
  buf[pos++] = raw
  return pos
}

/**
 * Bytes that writeVarlong(value) takes; `value` is a safe integer. Zigzag maps v to 2m + sign with
 * m = v >= 0 ? v : -v - 1, so k bytes hold exactly the m below 2^(7k - 1); working on m keeps the
 * arithmetic exact where 2m + 1 would not be.
 */
export const sizeOfVarlong = (value: number): number => {
  if ((value | 0) === value) return sizeOfVarint(value)
  const m = value >= 0 ? value : -value - 1
  return m < 2 ** 34 ? 5 : m < 2 ** 41 ? 6 : m < 2 ** 48 ? 7 : m < 2 ** 55 ? 8 : m < 2 ** 62 ? 9 : 10
}

/** Writes `value` (a safe integer) zigzag-encoded at `pos`; returns the position after it. */
export const writeVarlong = (buf: Uint8Array, pos: number, value: number): number => {
  if ((value | 0) === value) return writeVarint(buf, pos, value)
  const negative = value < 0
  let m = negative ? -value - 1 : value
  // Outside int32, m >= 2^31 - 1, so the first byte always continues. `& 0x7f` on a large
  // integer is exact: ToInt32 keeps its low 32 bits.
  buf[pos++] = ((m & 0x3f) << 1) | (negative ? 1 : 0) | 0x80
  m = Math.floor(m / 64)
  while (m >= 0x80) {
    buf[pos++] = (m & 0x7f) | 0x80
    m = Math.floor(m / 128)
  }
  buf[pos++] = m
  return pos
}

/**
 * Reads varints from `buf` starting at `pos`, never past `end`. After each read `pos` is the
 * position after the value. A value that would run past `end`, or is longer than its type allows
 * (5 bytes for a varint, 10 for a varlong), goes to `fail`, which subclasses override to throw
 * their own error.
 */
export class VarintReader {
  buf: Buffer
  pos: number
  end: number

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  readVarint(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    if (pos >= end) return this.fail(pos, 'varint runs past the end')
    let byte = buf[pos++]
    let raw = byte & 0x7f
    let shift = 7
    while (byte & 0x80) {
      if (shift > 28) return this.fail(this.pos, 'varint is longer than 5 bytes')
      if (pos >= end) return this.fail(this.pos, 'varint runs past the end')
      byte = buf[pos++]
      raw |= (byte & 0x7f) << shift
      shift += 7
    }
    this.pos = pos
    return (raw >>> 1) ^ -(raw & 1)
  }

  /** Exact while |value| <= 2^53 - 1; larger int64 values come back rounded, as any JS number would. */
  readVarlong(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    if (pos >= end) return this.fail(pos, 'varlong runs past the end')
    let byte = buf[pos++]
    const negative = byte & 1
    // Accumulate m = raw >>> 1 directly (see sizeOfVarlong): the first byte gives 6 bits of it.
    let m = (byte & 0x7f) >>> 1
    let weight = 64
    while (byte & 0x80) {
      if (weight > LAST_VARLONG_GROUP_WEIGHT) return this.fail(this.pos, 'varlong is longer than 10 bytes')
      if (pos >= end) return this.fail(this.pos, 'varlong runs past the end')
      byte = buf[pos++]
      m += (byte & 0x7f) * weight
      weight *= 128
    }
    this.pos = pos
    return negative ? -m - 1 : m
  }

  protected fail(position: number, reason: string): never {
    throw new RangeError(`${reason} (value starts at byte ${position})`)
  }
}
