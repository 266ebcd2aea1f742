import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptRecordBatchError, LogClosedError } from '../errors.js'
import { LogSegment } from './log-segment.js'
import { segmentFilePath } from './segment-files.js'
import { makeBatch, makeBatches, type TestBatch } from './test-support/batches.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-log-segment-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const BASE = 100n
const logFile = () => segmentFilePath(dir, BASE, '.log')
const indexFile = () => segmentFilePath(dir, BASE, '.index')
const timeIndexFile = () => segmentFilePath(dir, BASE, '.timeindex')

const appendAll = (segment: LogSegment, batches: readonly TestBatch[]): void => {
  for (const batch of batches) segment.append(batch.bytes, batch.lastOffset, batch.maxTimestamp)
}
const starts = (batches: readonly TestBatch[]): number[] => {
  const positions = [0]
  for (const batch of batches) positions.push(positions.at(-1)! + batch.bytes.length)
  return positions
}
const createWith = (batches: readonly TestBatch[], indexIntervalBytes: number): LogSegment => {
  const segment = LogSegment.create(dir, BASE, indexIntervalBytes)
  appendAll(segment, batches)
  return segment
}
const state = (segment: LogSegment) => ({
  sizeBytes: segment.sizeBytes,
  nextOffset: segment.nextOffset,
  maxTimestamp: segment.maxTimestamp,
  firstBatchTimestamp: segment.firstBatchTimestamp,
  isEmpty: segment.isEmpty,
})
const indexFiles = () => [readFileSync(indexFile()), readFileSync(timeIndexFile())]

describe('LogSegment append and state', () => {
  it('starts empty and tracks size, next offset and timestamps', () => {
    const segment = LogSegment.create(dir, BASE, 4096)
    expect(state(segment)).toEqual({ sizeBytes: 0, nextOffset: BASE, maxTimestamp: -1, firstBatchTimestamp: -1, isEmpty: true })
    const batches = [makeBatch(BASE, [50, 70, 60]), makeBatch(BASE + 3n, [40]), makeBatch(BASE + 4n, [90, 80])]
    appendAll(segment, batches)
    expect(state(segment)).toEqual({
      sizeBytes: batches.reduce((total, batch) => total + batch.bytes.length, 0),
      nextOffset: BASE + 6n,
      maxTimestamp: 90,
      firstBatchTimestamp: 70,
      isEmpty: false,
    })
    expect(readFileSync(logFile())).toEqual(Buffer.concat(batches.map((batch) => batch.bytes)))
    segment.close()
  })

  it('takes several batches in one append', () => {
    const batches = makeBatches(BASE, [2, 1, 4])
    const segment = LogSegment.create(dir, BASE, 0)
    segment.append(Buffer.concat(batches.map((batch) => batch.bytes)), BASE + 6n, batches[2].maxTimestamp)
    expect(segment.nextOffset).toBe(BASE + 7n)
    segment.close()
    const reopened = LogSegment.open(dir, BASE, 0, { recover: false })
    expect(reopened.indexesRebuilt).toBeUndefined()
    expect(reopened.read(BASE + 2n, 1)!.firstBatchPosition).toBe(batches[0].bytes.length)
    reopened.close()
  })

  it('refuses appends that contradict their headers or the offsets, writing nothing', () => {
    const segment = createWith(makeBatches(BASE, [2]), 0)
    const size = segment.sizeBytes
    const next = makeBatch(BASE + 2n, [5])
    expect(() => segment.append(next.bytes, BASE + 3n, next.maxTimestamp)).toThrow(RangeError)
    expect(() => segment.append(next.bytes, next.lastOffset, 6)).toThrow(RangeError)
    const gap = makeBatch(BASE + 5n, [5])
    expect(() => segment.append(gap.bytes, gap.lastOffset, gap.maxTimestamp)).toThrow(/breaks contiguous offsets/)
    expect(() => segment.append(next.bytes.subarray(0, 70), next.lastOffset, next.maxTimestamp)).toThrow(CorruptRecordBatchError)
    expect(segment.sizeBytes).toBe(size)
    expect(statSync(logFile()).size).toBe(size)
    segment.close()
  })

  it('accepts gaps when created without contiguous offsets', () => {
    const segment = LogSegment.create(dir, BASE, 0, { contiguousOffsets: false })
    appendAll(segment, [makeBatch(BASE + 2n, [1]), makeBatch(BASE + 9n, [2])])
    expect(segment.nextOffset).toBe(BASE + 10n)
    expect(segment.read(BASE + 4n, 1)!.bytes.readBigInt64BE(0)).toBe(BASE + 9n)
    segment.close()
  })

  it('says when offsets or positions would overflow int32', () => {
    const segment = LogSegment.create(dir, BASE, 0)
    expect(segment.canHold(BASE + 2_147_483_647n, 100)).toBe(true)
    expect(segment.canHold(BASE + 2_147_483_648n, 100)).toBe(false)
    expect(segment.canHold(BASE, 2 ** 31)).toBe(false)
    segment.close()
  })

  it('writes index entries in chunks while appending, not only at close', () => {
    const segment = createWith(makeBatches(BASE, Array.from({ length: 600 }, () => 1)), 0)
    expect(statSync(indexFile()).size).toBeGreaterThanOrEqual(512 * 8)
    segment.close()
    expect(statSync(indexFile()).size).toBe(599 * 8)
  })

  it('create refuses to overwrite an existing log', () => {
    LogSegment.create(dir, BASE, 0).close()
    expect(() => LogSegment.create(dir, BASE, 0)).toThrow(/EEXIST/)
  })
})

describe('LogSegment.read', () => {
  const batches = () => makeBatches(BASE, [1, 3, 2])

  it('returns whole batches from the one holding the offset', () => {
    const b = batches()
    const at = starts(b)
    const segment = createWith(b, 4096)
    const middle = segment.read(BASE + 2n, 10_000)!
    expect(middle.firstBatchPosition).toBe(at[1])
    expect(middle.bytes).toEqual(Buffer.concat([b[1].bytes, b[2].bytes]))
    expect(middle.lastOffset).toBe(BASE + 5n)
    expect(segment.read(BASE + 1n, 10_000)!.firstBatchPosition).toBe(at[1])
    expect(segment.read(BASE, 10_000)!.bytes.length).toBe(at[3])
    expect(segment.read(BASE - 5n, 10_000)!.firstBatchPosition).toBe(0)
    expect(segment.read(BASE + 6n, 10_000)).toBeUndefined()
    segment.close()
  })

  it('stops before the batch that would pass maxBytes, but always returns the first batch whole', () => {
    const b = batches()
    const segment = createWith(b, 4096)
    const two = b[1].bytes.length + b[2].bytes.length
    expect(segment.read(BASE + 1n, two)!.bytes.length).toBe(two)
    expect(segment.read(BASE + 1n, two - 1)!.bytes).toEqual(b[1].bytes)
    expect(segment.read(BASE + 1n, 1)!.bytes).toEqual(b[1].bytes)
    expect(segment.read(BASE + 1n, 0)!.bytes).toEqual(b[1].bytes)
    segment.close()
  })

  it('keeps only batches whose last offset is below maxOffsetExclusive', () => {
    const b = batches()
    const segment = createWith(b, 4096)
    expect(segment.read(BASE, 10_000, BASE + 4n)!.bytes).toEqual(Buffer.concat([b[0].bytes, b[1].bytes]))
    expect(segment.read(BASE, 10_000, BASE + 3n)!.bytes).toEqual(b[0].bytes)
    expect(segment.read(BASE + 2n, 10_000, BASE + 3n)).toBeUndefined()
    expect(segment.read(BASE + 2n, 10_000, BASE + 6n)!.lastOffset).toBe(BASE + 5n)
    segment.close()
  })

  test.prop(
    [fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 600 })],
    { numRuns: 60 },
  )('every offset reads from the batch holding it, through the sparse index, before and after reopening', (counts, interval, maxBytes) => {
    rmSync(dir, { recursive: true, force: true })
    dir = mkdtempSync(join(tmpdir(), 'rivulet-log-segment-'))
    const b = makeBatches(BASE, counts)
    const at = starts(b)
    const all = Buffer.concat(b.map((batch) => batch.bytes))
    const check = (segment: LogSegment) => {
      b.forEach((batch, i) => {
        for (let offset = batch.baseOffset; offset <= batch.lastOffset; offset++) {
          const read = segment.read(offset, maxBytes)!
          expect(read.firstBatchPosition).toBe(at[i])
          let end = i + 1
          while (end < b.length && at[end + 1] - at[i] <= maxBytes) end++
          expect(read.bytes).toEqual(all.subarray(at[i], at[end]))
        }
      })
    }
    const segment = createWith(b, interval)
    check(segment)
    segment.close()
    const reopened = LogSegment.open(dir, BASE, interval, { recover: false })
    check(reopened)
    reopened.close()
  })

  it('never serves a corrupt batch: the read throws naming the file and position', () => {
    const b = batches()
    const at = starts(b)
    createWith(b, 0).close()
    const log = readFileSync(logFile())
    log[at[1] + 70] ^= 0xff
    writeFileSync(logFile(), log)
    const segment = LogSegment.open(dir, BASE, 0, { recover: false })
    expect(segment.read(BASE, b[0].bytes.length)!.bytes).toEqual(b[0].bytes)
    const error = (() => {
      try {
        segment.read(BASE + 2n, 10_000)
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(CorruptRecordBatchError)
    expect(error).toMatchObject({ file: logFile(), position: at[1] })
    expect((error as CorruptRecordBatchError).reason).toMatch(/^CRC mismatch/)
    segment.close()
  })
})

describe('LogSegment.findOffsetByTimestamp', () => {
  test.prop(
    [
      fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: -1, max: 62 }),
    ],
    { numRuns: 80 },
  )('finds the first offset whose record timestamp reaches the target', (timestampsPerBatch, interval, target) => {
    rmSync(dir, { recursive: true, force: true })
    dir = mkdtempSync(join(tmpdir(), 'rivulet-log-segment-'))
    const b: TestBatch[] = []
    let next = BASE
    for (const timestamps of timestampsPerBatch) {
      b.push(makeBatch(next, timestamps))
      next = b.at(-1)!.lastOffset + 1n
    }
    const flat = timestampsPerBatch.flat()
    const index = flat.findIndex((timestamp) => timestamp >= target)
    const expected = index < 0 ? undefined : BASE + BigInt(index)
    const segment = createWith(b, interval)
    expect(segment.findOffsetByTimestamp(target)).toBe(expected)
    segment.close()
    const reopened = LogSegment.open(dir, BASE, interval, { recover: false })
    expect(reopened.findOffsetByTimestamp(target)).toBe(expected)
    reopened.close()
  })

  it('answers undefined on an empty segment', () => {
    const segment = LogSegment.create(dir, BASE, 0)
    expect(segment.findOffsetByTimestamp(0)).toBeUndefined()
    segment.close()
  })
})

describe('LogSegment.truncateTo', () => {
  test.prop(
    [fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 300 }), fc.nat()],
    { numRuns: 80 },
  )('removes every batch reaching the offset, leaving the segment as if only the rest had been appended', (counts, interval, seed) => {
    rmSync(dir, { recursive: true, force: true })
    dir = mkdtempSync(join(tmpdir(), 'rivulet-log-segment-'))
    const b = makeBatches(BASE, counts)
    const total = Number(b.at(-1)!.lastOffset - BASE) + 1
    const offset = BASE + BigInt(seed % (total + 2))
    const kept = b.filter((batch) => batch.lastOffset < offset)
    const keptBytes = kept.reduce((sum, batch) => sum + batch.bytes.length, 0)

    const expectedDir = join(dir, 'expected')
    const realDir = dir
    rmSync(expectedDir, { recursive: true, force: true })
    dir = expectedDir
    mkdirSync(expectedDir)
    const expected = createWith(kept, interval)
    const expectedState = state(expected)
    expected.close()
    const expectedIndexes = indexFiles()
    dir = realDir

    const segment = createWith(b, interval)
    const totalBytes = segment.sizeBytes
    expect(segment.truncateTo(offset)).toBe(totalBytes - keptBytes)
    expect(state(segment)).toEqual(expectedState)
    const more = makeBatch(segment.nextOffset, [1_800_000_000_000])
    segment.append(more.bytes, more.lastOffset, more.maxTimestamp)
    segment.close()
    const reopened = LogSegment.open(dir, BASE, interval, { recover: true })
    expect(reopened.recovered).toBeUndefined()
    expect(reopened.nextOffset).toBe(more.lastOffset + 1n)
    expect(reopened.truncateTo(more.baseOffset)).toBe(more.bytes.length)
    reopened.close()
    expect(indexFiles()).toEqual(expectedIndexes)
  })
})

describe('LogSegment.open', () => {
  // 40 batches, an index entry every ~300 bytes: several entries in each index.
  const INTERVAL = 300
  const build = () => {
    const b = makeBatches(BASE, Array.from({ length: 40 }, (_, i) => 1 + (i % 4)))
    const segment = createWith(b, INTERVAL)
    const before = state(segment)
    segment.close()
    return { b, before, indexes: indexFiles() }
  }
  const reopen = (recover = false) => LogSegment.open(dir, BASE, INTERVAL, { recover })

  it('a cleanly closed segment loads its indexes and learns its state from them', () => {
    const { before, indexes } = build()
    expect(readFileSync(indexFile()).length).toBeGreaterThan(3 * 8)
    const segment = reopen()
    expect(state(segment)).toEqual(before)
    expect(segment.indexesRebuilt).toBeUndefined()
    expect(segment.recovered).toBeUndefined()
    segment.close()
    expect(indexFiles()).toEqual(indexes)
  })

  it('catches up an index that lost its newest entries, without calling it a rebuild', () => {
    const { before, indexes } = build()
    truncateSync(indexFile(), indexes[0].length - 16)
    truncateSync(timeIndexFile(), indexes[1].length - 12)
    const segment = reopen()
    expect(state(segment)).toEqual(before)
    expect(segment.indexesRebuilt).toBeUndefined()
    segment.close()
    expect(indexFiles()).toEqual(indexes)
  })

  const rebuilds: Array<[string, () => void, RegExp]> = [
    ['missing offset index', () => rmSync(indexFile()), /^missing .*\.index$/],
    ['missing time index', () => rmSync(timeIndexFile()), /^missing .*\.timeindex$/],
    ['offset index of odd size', () => writeFileSync(indexFile(), Buffer.alloc(13, 7)), /corrupt index .*\.index: size 13 bytes/],
    [
      'offset index entries out of order',
      () => {
        const index = readFileSync(indexFile())
        index.writeInt32BE(0x10000, 0)
        writeFileSync(indexFile(), index)
      },
      /corrupt index .*\.index: entry 1 \(relative offset \d+, position \d+\) does not follow entry 0 \(relative offset 65536/,
    ],
    [
      'offset entry past the log end',
      () => truncateSync(logFile(), readFileSync(indexFile()).readInt32BE(readFileSync(indexFile()).length - 4)),
      /entry at position \d+ is past the log's end/,
    ],
    [
      'offset entry not at a batch start',
      () => {
        const index = readFileSync(indexFile())
        index.writeInt32BE(index.readInt32BE(index.length - 4) + 1, index.length - 4)
        writeFileSync(indexFile(), index)
      },
      /leads to an invalid batch/,
    ],
    [
      'time entry past the last offset',
      () => {
        const timeIndex = readFileSync(timeIndexFile())
        timeIndex.writeInt32BE(5000, timeIndex.length - 4)
        writeFileSync(timeIndexFile(), timeIndex)
      },
      /timeindex: entry at relative offset 5000 is past the log's last/,
    ],
  ]
  for (const [name, damage, reason] of rebuilds) {
    it(`rebuilds both indexes from the log: ${name}`, () => {
      const { before, indexes } = build()
      const cutsLog = name === 'offset entry past the log end'
      damage()
      const segment = reopen()
      expect(segment.indexesRebuilt).toMatch(reason)
      if (!cutsLog) {
        expect(state(segment)).toEqual(before)
        segment.close()
        expect(indexFiles()).toEqual(indexes)
      } else {
        expect(segment.sizeBytes).toBe(statSync(logFile()).size)
        segment.close()
      }
    })
  }

  const corruptAt = (position: number) => {
    const log = readFileSync(logFile())
    log[position] ^= 0x10
    writeFileSync(logFile(), log)
  }
  const readError = (segment: LogSegment, offset: bigint): unknown => {
    try {
      segment.read(offset, 100_000)
    } catch (error) {
      return error
    }
    return undefined
  }

  it('a closed segment with a torn tail opens uncut, reports it, serves what is before and refuses the rest', () => {
    const { b } = build()
    const at = starts(b)
    truncateSync(logFile(), at[40] - 3)
    const segment = reopen()
    expect(segment.corruption).toEqual({ position: at[39], reason: expect.stringMatching(/^truncated/) })
    expect(segment.indexesRebuilt).toBeUndefined()
    expect(segment.sizeBytes).toBe(at[40] - 3)
    expect(segment.nextOffset).toBe(b[39].baseOffset)
    expect(segment.read(b[38].baseOffset, 100_000)!.bytes).toEqual(b[38].bytes)
    expect(readError(segment, b[39].baseOffset)).toMatchObject({ _tag: 'CorruptRecordBatchError', file: logFile(), position: at[39] })
    const more = makeBatch(b[39].baseOffset, [1])
    expect(() => segment.append(more.bytes, more.lastOffset, more.maxTimestamp)).toThrow(CorruptRecordBatchError)
    expect(segment.truncateTo(b[39].baseOffset)).toBe(at[40] - 3 - at[39])
    expect(segment.corruption).toBeUndefined()
    segment.append(more.bytes, more.lastOffset, more.maxTimestamp)
    segment.close()
  })

  it('a closed segment whose only batch is corrupt opens; a read there throws naming file and position', () => {
    const b = makeBatches(BASE, [2])
    createWith(b, INTERVAL).close()
    corruptAt(70)
    const segment = reopen()
    expect(segment.corruption).toEqual({ position: 0, reason: expect.stringMatching(/^CRC mismatch/) })
    expect(state(segment)).toEqual({ sizeBytes: b[0].bytes.length, nextOffset: BASE, maxTimestamp: -1, firstBatchTimestamp: -1, isEmpty: false })
    expect(readError(segment, BASE)).toMatchObject({ _tag: 'CorruptRecordBatchError', file: logFile(), position: 0 })
    segment.close()
  })

  it('a corrupt batch before the last index entry is found by the read that reaches it, not at open', () => {
    const { b, before } = build()
    const at = starts(b)
    corruptAt(at[5] + 70)
    const segment = reopen()
    expect(segment.corruption).toBeUndefined()
    expect(state(segment)).toEqual(before)
    expect(segment.read(b[4].baseOffset, b[4].bytes.length)!.bytes).toEqual(b[4].bytes)
    expect(readError(segment, b[5].baseOffset + 1n)).toMatchObject({ _tag: 'CorruptRecordBatchError', position: at[5] })
    // A read from below the damage stops before it: the batches there stay readable.
    expect(segment.read(b[4].baseOffset, 100_000)!.bytes).toEqual(b[4].bytes)
    expect(readError(segment, b[5].baseOffset)).toMatchObject({ _tag: 'CorruptRecordBatchError', position: at[5] })
    segment.close()
  })

  test.prop(
    [fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true })],
    { numRuns: 60 },
  )('recover: true after a cut anywhere leaves what appending the whole batches before it leaves', (counts, interval, fraction) => {
    rmSync(dir, { recursive: true, force: true })
    dir = mkdtempSync(join(tmpdir(), 'rivulet-log-segment-'))
    const b = makeBatches(BASE, counts)
    const at = starts(b)
    const cut = Math.floor(fraction * at.at(-1)!)
    const whole = b.slice(0, at.filter((end) => end <= cut).length - 1)
    const expected = createWith(whole, interval)
    const expectedState = state(expected)
    expected.close()
    const expectedIndexes = indexFiles()
    rmSync(logFile())
    createWith(b, interval).close()
    truncateSync(logFile(), cut)
    const segment = LogSegment.open(dir, BASE, interval, { recover: true })
    expect(state(segment)).toEqual(expectedState)
    expect(segment.recovered?.truncatedBytes ?? 0).toBe(cut - expectedState.sizeBytes)
    segment.close()
    expect(indexFiles()).toEqual(expectedIndexes)
  })

  it('recover: true on a segment with nothing wrong reports nothing', () => {
    const { before } = build()
    const segment = reopen(true)
    expect(segment.recovered).toBeUndefined()
    expect(state(segment)).toEqual(before)
    segment.close()
  })

  it('an empty segment opens empty', () => {
    LogSegment.create(dir, BASE, INTERVAL).close()
    for (const recover of [false, true]) {
      const segment = reopen(recover)
      expect(state(segment)).toEqual({ sizeBytes: 0, nextOffset: BASE, maxTimestamp: -1, firstBatchTimestamp: -1, isEmpty: true })
      segment.close()
    }
  })
})

describe('LogSegment lifecycle', () => {
  it('flushes, then refuses use after close; delete removes its three files', async () => {
    const segment = createWith(makeBatches(BASE, [1, 2]), 0)
    await segment.flush()
    segment.close()
    expect(() => segment.read(BASE, 100)).toThrow(LogClosedError)
    expect(() => segment.append(Buffer.alloc(0), BASE, 0)).toThrow(LogClosedError)
    const reopened = LogSegment.open(dir, BASE, 0, { recover: false })
    const flushing = reopened.flush()
    reopened.delete()
    await flushing
    for (const file of [logFile(), indexFile(), timeIndexFile()]) expect(existsSync(file)).toBe(false)
  })
})
