// The producer-state snapshot file: round trips, and every kind of damage refused with a reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CorruptProducerSnapshotError,
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  incrementSequence,
  readProducerSnapshot,
  snapshotFileName,
  type SnapshotProducer,
} from './producer-state-snapshot.js'
import { crc32cOfRange } from './record-batch/crc32c.js'

const SNAPSHOT_OFFSET = 10_000_000_000n

const producerArb: fc.Arbitrary<SnapshotProducer> = fc.record({
  producerId: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  producerEpoch: fc.integer({ min: -1, max: 32_767 }),
  batches: fc.array(
    fc
      .record({
        firstSeq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        delta: fc.integer({ min: 0, max: 1_000 }),
        firstOffset: fc.bigInt({ min: 0n, max: SNAPSHOT_OFFSET - 1_001n }),
        maxTimestamp: fc.integer({ min: -1, max: 2 ** 47 }),
      })
      .map(({ firstSeq, delta, firstOffset, maxTimestamp }) => ({
        firstSeq,
        lastSeq: incrementSequence(firstSeq, delta),
        firstOffset,
        lastOffset: firstOffset + BigInt(delta),
        maxTimestamp,
      })),
    { minLength: 1, maxLength: 5 },
  ),
})

/** Re-seals a hand-edited snapshot so only the edited field is wrong. */
const reseal = (buf: Buffer): Buffer => {
  buf.writeUInt32BE(crc32cOfRange(buf, 6, buf.length), 2)
  return buf
}
const one: SnapshotProducer = {
  producerId: 7n,
  producerEpoch: 3,
  batches: [{ firstSeq: 4, lastSeq: 6, firstOffset: 20n, lastOffset: 22n, maxTimestamp: 99 }],
}

describe('producer-state snapshot format', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.array(producerArb, { maxLength: 8 }), (producers) => {
        const decoded = decodeProducerSnapshot(encodeProducerSnapshot(SNAPSHOT_OFFSET, producers))
        expect(decoded).toEqual({ ok: true, snapshotOffset: SNAPSHOT_OFFSET, producers })
      }),
      { numRuns: 200 },
    )
  })

  it('detects any single flipped bit', () => {
    const bytes = encodeProducerSnapshot(SNAPSHOT_OFFSET, [one, { ...one, producerId: 8n }])
    fc.assert(
      fc.property(fc.nat(bytes.length * 8 - 1), (bit) => {
        const damaged = Buffer.from(bytes)
        damaged[bit >> 3] ^= 1 << (bit & 7)
        expect(decodeProducerSnapshot(damaged).ok).toBe(false)
      }),
      { numRuns: 200 },
    )
  })

  it('detects every truncation', () => {
    const bytes = encodeProducerSnapshot(SNAPSHOT_OFFSET, [one])
    for (let length = 0; length < bytes.length; length++) {
      expect(decodeProducerSnapshot(bytes.subarray(0, length)).ok).toBe(false)
    }
  })

  it.each([
    ['an unknown version', (b: Buffer) => b.writeInt16BE(2, 0), 'version 2'],
    ['no batches', (b: Buffer) => b.writeInt8(0, 28), 'has 0 batches'],
    ['six batches', (b: Buffer) => b.writeInt8(6, 28), 'has 6 batches'],
    ['a batch at the snapshot offset', (b: Buffer) => b.writeBigInt64BE(SNAPSHOT_OFFSET - 2n, 37), 'not below'],
    ['a negative producer id', (b: Buffer) => b.writeBigInt64BE(-1n, 18), 'negative'],
    ['a producer count too big', (b: Buffer) => b.writeInt32BE(2, 14), 'runs past'],
  ])('refuses %s even under a valid CRC', (_, edit, reason) => {
    const bytes = encodeProducerSnapshot(SNAPSHOT_OFFSET, [one])
    edit(bytes)
    const decoded = decodeProducerSnapshot(reseal(bytes))
    expect(decoded.ok ? 'accepted' : decoded.reason).toContain(reason)
  })

  it('refuses trailing bytes', () => {
    const bytes = reseal(Buffer.concat([encodeProducerSnapshot(SNAPSHOT_OFFSET, [one]), Buffer.alloc(3)]))
    expect(decodeProducerSnapshot(bytes)).toEqual({ ok: false, reason: '3 bytes after the last producer' })
  })

  it('refuses a file whose name and contents disagree on the offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-psnap-'))
    try {
      const file = join(dir, snapshotFileName(50n))
      writeFileSync(file, encodeProducerSnapshot(60n, [one]))
      const read = await readProducerSnapshot(file, 50n)
      expect(read).toBeInstanceOf(CorruptProducerSnapshotError)
      expect((read as CorruptProducerSnapshotError).message).toBe(
        `corrupt producer-state snapshot ${file}: holds offset 60, its name says 50`,
      )
      writeFileSync(file, encodeProducerSnapshot(50n, [one]))
      expect(await readProducerSnapshot(file, 50n)).toEqual([one])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('names files by the 20-digit offset', () => {
    expect(snapshotFileName(42n)).toBe('00000000000000000042.snapshot')
    expect(() => snapshotFileName(-1n)).toThrow(RangeError)
  })
})
