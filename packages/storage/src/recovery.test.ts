import { closeSync, openSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { OffsetIndex } from './offset-index.js'
import { recoverSegment, scanBatches, type ScannedBatch } from './recovery.js'
import { BASE_OFFSET_AT, CRC_AT, PARTITION_LEADER_EPOCH_AT } from './record-batch/batch-header.js'
import { SegmentIndexer } from './segment/segment-indexer.js'
import { makeBatch, makeBatches, type TestBatch } from './segment/test-support/batches.js'
import { TimeIndex } from './time-index.js'

let dir: string
beforeEach(() => {
  dir = tempDir('recovery')
})

const BASE = 100n
const concat = (batches: readonly TestBatch[]): Buffer => Buffer.concat(batches.map((batch) => batch.bytes))
/** Batch start positions, plus the end of the last batch. */
const boundaries = (batches: readonly TestBatch[]): number[] => {
  const positions = [0]
  for (const batch of batches) positions.push(positions.at(-1)! + batch.bytes.length)
  return positions
}

const withFile = <T>(bytes: Buffer, use: (fd: number, file: string) => T): T => {
  const file = join(dir, 'segment.log')
  writeFileSync(file, bytes)
  const fd = openSync(file, 'r+')
  try {
    return use(fd, file)
  } finally {
    closeSync(fd)
  }
}

const recover = (fd: number, contiguous = true) => {
  const indexer = new SegmentIndexer(
    OffsetIndex.create(join(dir, 'segment.index'), BASE),
    TimeIndex.create(join(dir, 'segment.timeindex'), BASE),
    0,
  )
  const result = recoverSegment(fd, { segmentBaseOffset: BASE, contiguous, indexer })
  indexer.offsetIndex.close()
  indexer.timeIndex.close()
  return { result, indexer }
}

describe('recoverSegment on a 3-batch segment', () => {
  const batches = makeBatches(BASE, [1, 3, 2])
  const whole = concat(batches)
  const ends = boundaries(batches)

  it('keeps everything when nothing is wrong', () => {
    withFile(whole, (fd) => {
      const { result } = recover(fd)
      expect(result).toMatchObject({ validEndPosition: whole.length, batchCount: 3, truncatedBytes: 0, invalid: undefined })
      expect(result.lastOffset).toBe(BASE + 5n)
    })
  })

  it('cut at every byte: recovers to the last whole batch and truncates the rest', () => {
    for (let cut = 0; cut <= whole.length; cut++) {
      withFile(whole.subarray(0, cut), (fd, file) => {
        const { result } = recover(fd)
        const wholeBatches = ends.filter((end) => end <= cut).length - 1
        const validEnd = ends[wholeBatches]
        expect(result.validEndPosition, `cut at ${cut}`).toBe(validEnd)
        expect(result.truncatedBytes).toBe(cut - validEnd)
        expect(result.batchCount).toBe(wholeBatches)
        expect(result.lastOffset).toBe(wholeBatches === 0 ? undefined : batches[wholeBatches - 1].lastOffset)
        expect(statSync(file).size).toBe(validEnd)
        if (cut !== validEnd) expect(result.invalid!.reason, `cut at ${cut}`).toMatch(/^truncated/)
      })
    }
  })

  it('a flipped byte anywhere in the CRC-covered part of batch 2 cuts from batch 2', () => {
    for (let at = ends[1] + CRC_AT; at < ends[2]; at++) {
      const damaged = Buffer.from(whole)
      damaged[at] ^= 0x40
      withFile(damaged, (fd) => {
        const { result } = recover(fd)
        expect(result.validEndPosition, `byte ${at}`).toBe(ends[1])
        expect(result.truncatedBytes).toBe(whole.length - ends[1])
        expect(result.invalid).toMatchObject({ position: ends[1] })
        expect(result.invalid!.reason).toMatch(/^(CRC mismatch|bad magic)/)
      })
    }
  })

  it('a flipped byte in the baseOffset field (outside the CRC) is caught by the offset check', () => {
    for (const batch of [0, 1, 2]) {
      for (let at = ends[batch] + BASE_OFFSET_AT; at < ends[batch] + BASE_OFFSET_AT + 8; at++) {
        const damaged = Buffer.from(whole)
        damaged[at] ^= 0x01
        withFile(damaged, (fd) => {
          const { result } = recover(fd)
          expect(result.validEndPosition, `byte ${at}`).toBe(ends[batch])
          expect(result.invalid!.reason).toMatch(batch === 0 ? /where 100 was expected/ : /does not follow the previous batch's last offset/)
        })
      }
    }
  })

  it('a batch whose length field is torn to zeros or garbage ends the valid part there', () => {
    for (const length of [0, 48, -1, 0x7fffffff]) {
      const damaged = Buffer.from(whole)
      damaged.writeInt32BE(length, ends[2] + 8)
      withFile(damaged, (fd) => {
        const { result } = recover(fd)
        expect(result.validEndPosition).toBe(ends[2])
        expect(result.invalid!.reason).toMatch(/^(bad length|truncated)/)
      })
    }
  })

  it('a leader epoch change (outside the CRC, not an offset) is not corruption', () => {
    const stamped = Buffer.from(whole)
    stamped.writeInt32BE(7, ends[1] + PARTITION_LEADER_EPOCH_AT)
    withFile(stamped, (fd) => expect(recover(fd).result.invalid).toBeUndefined())
  })

  it('rebuilds the indexes from the valid batches (interval 0: an entry per batch after the first)', () => {
    withFile(Buffer.concat([whole, Buffer.alloc(30)]), (fd) => {
      recover(fd)
      const offsetIndex = OffsetIndex.load(join(dir, 'segment.index'), BASE)
      expect([0, 1].map((i) => [offsetIndex.relativeOffsetAt(i), offsetIndex.positionAt(i)])).toEqual([
        [1, ends[1]],
        [4, ends[2]],
      ])
      expect(offsetIndex.entryCount).toBe(2)
      const timeIndex = TimeIndex.load(join(dir, 'segment.timeindex'), BASE)
      expect(timeIndex.entryCount).toBe(2)
      expect(timeIndex.lastEntry()).toEqual({ timestamp: batches[2].maxTimestamp, relativeOffset: 4 })
    })
  })
})

describe('scanBatches', () => {
  const batchSizes = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 12 })

  test.prop([batchSizes, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 700 })], { numRuns: 120 })(
    'reports the same batches whatever the chunk size, batches straddling chunks or bigger than them',
    (recordCounts, valueBytes, chunkBytes) => {
      const batches = makeBatches(BASE, recordCounts, 1_000, valueBytes)
      withFile(concat(batches), (fd) => {
        const seen: ScannedBatch[] = []
        const result = scanBatches(fd, { segmentBaseOffset: BASE, firstBaseOffset: BASE, contiguous: true, chunkBytes, onBatch: (b) => seen.push(b) })
        expect(result.invalid).toBeUndefined()
        const ends = boundaries(batches)
        expect(seen).toEqual(
          batches.map((batch, i) => ({
            position: ends[i],
            baseOffset: batch.baseOffset,
            lastOffset: batch.lastOffset,
            maxTimestamp: batch.maxTimestamp,
            sizeBytes: batch.bytes.length,
          })),
        )
      })
    },
  )

  it('starts from a position and stops at an end position', () => {
    const batches = makeBatches(BASE, [2, 2, 2, 2])
    const ends = boundaries(batches)
    withFile(concat(batches), (fd) => {
      const result = scanBatches(fd, { segmentBaseOffset: BASE, fromPosition: ends[1], endPosition: ends[3], firstBaseOffset: BASE + 2n, contiguous: true })
      expect(result).toMatchObject({ validEndPosition: ends[3], batchCount: 2, lastOffset: BASE + 5n, invalid: undefined })
      const wrongStart = scanBatches(fd, { segmentBaseOffset: BASE, fromPosition: ends[1], firstBaseOffset: BASE + 3n, contiguous: true })
      expect(wrongStart.invalid).toEqual({ position: ends[1], reason: 'base offset 102 where 103 was expected' })
    })
  })

  it('without contiguity accepts gaps (compaction) but not offsets going back or below the base', () => {
    const gapped = [makeBatch(BASE + 3n, [1, 2]), makeBatch(BASE + 10n, [3]), makeBatch(BASE + 8n, [4])]
    withFile(concat(gapped), (fd) => {
      const loose = scanBatches(fd, { segmentBaseOffset: BASE, contiguous: false })
      expect(loose.batchCount).toBe(2)
      expect(loose.invalid!.reason).toBe("base offset 108 does not follow the previous batch's last offset 110")
      const strict = scanBatches(fd, { segmentBaseOffset: BASE, firstBaseOffset: BASE, contiguous: true })
      expect(strict.batchCount).toBe(0)
      const below = scanBatches(fd, { segmentBaseOffset: BASE + 4n, contiguous: false })
      expect(below.invalid!.reason).toBe("base offset 103 is below the segment's base offset 104")
    })
  })

  it('refuses offsets more than 2^31-1 past the segment base', () => {
    withFile(makeBatch(BASE + 2n ** 31n, [1]).bytes, (fd) => {
      const result = scanBatches(fd, { segmentBaseOffset: BASE, contiguous: false })
      expect(result.invalid!.reason).toMatch(/more than 2\^31-1 past/)
    })
  })

  it('an empty file is valid and empty', () => {
    withFile(Buffer.alloc(0), (fd) => {
      expect(scanBatches(fd, { segmentBaseOffset: BASE, contiguous: true })).toEqual({
        validEndPosition: 0,
        batchCount: 0,
        lastOffset: undefined,
        invalid: undefined,
      })
    })
  })
})
