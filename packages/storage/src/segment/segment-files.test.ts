import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import {
  finishInterruptedSwaps,
  listSegmentBaseOffsets,
  listSegmentFiles,
  parseSegmentFileName,
  segmentFileName,
  segmentFilePath,
  type SegmentFileSuffix,
} from './segment-files.js'
import { makeBatch } from './test-support/batches.js'

const suffixes: SegmentFileSuffix[] = [
  '.log', '.index', '.timeindex', '.cleaned', '.swap', '.deleted',
  '.log.cleaned', '.log.swap', '.log.deleted', '.index.swap', '.index.deleted', '.timeindex.deleted',
]

describe('segmentFileName', () => {
  it('pads the base offset to 20 digits, as Kafka does', () => {
    expect(segmentFileName(0n, '.log')).toBe('00000000000000000000.log')
    expect(segmentFileName(42n, '.timeindex')).toBe('00000000000000000042.timeindex')
    expect(segmentFileName(2n ** 63n - 1n, '.index')).toBe('09223372036854775807.index')
    expect(segmentFileName(7n, '.log.deleted')).toBe('00000000000000000007.log.deleted')
    expect(segmentFilePath('/d', 1n, '.log')).toBe(join('/d', '00000000000000000001.log'))
  })

  it('refuses offsets outside int64', () => {
    expect(() => segmentFileName(-1n, '.log')).toThrow(RangeError)
    expect(() => segmentFileName(2n ** 63n, '.log')).toThrow(RangeError)
  })

  test.prop([fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), fc.constantFrom(...suffixes)], { numRuns: 200 })(
    'parse inverts the name',
    (baseOffset, suffix) => {
      expect(parseSegmentFileName(segmentFileName(baseOffset, suffix))).toEqual({ baseOffset, suffix })
    },
  )
})

describe('parseSegmentFileName', () => {
  it('ignores names that are not segment files', () => {
    for (const name of [
      '42.log', '00000000000000000042', '00000000000000000042.txt', '00000000000000000042.log.bak',
      'leader-epoch-checkpoint', '000000000000000000042.log', '0000000000000000004x.log',
      '99999999999999999999.log', '00000000000000000042.deleted.log',
    ]) {
      expect(parseSegmentFileName(name), name).toBeUndefined()
    }
  })
})

describe('listing a directory', () => {
  let dir: string
  beforeEach(() => {
    dir = tempDir('segment-files')
  })

  it('sorts by numeric base offset and skips foreign files', () => {
    for (const name of [
      segmentFileName(100n, '.log'), segmentFileName(100n, '.index'), segmentFileName(9n, '.log'),
      segmentFileName(9n, '.timeindex'), segmentFileName(0n, '.log'), segmentFileName(50n, '.log.deleted'),
      'partition.metadata', 'README',
    ]) {
      writeFileSync(join(dir, name), '')
    }
    expect(listSegmentBaseOffsets(dir)).toEqual([0n, 9n, 100n])
    expect(listSegmentFiles(dir).map((f) => f.name)).toEqual([
      '00000000000000000000.log',
      '00000000000000000009.log',
      '00000000000000000009.timeindex',
      '00000000000000000050.log.deleted',
      '00000000000000000100.index',
      '00000000000000000100.log',
    ])
  })
})

describe('finishInterruptedSwaps', () => {
  let dir: string
  beforeEach(() => {
    dir = tempDir('swaps')
  })

  const put = (baseOffset: bigint, suffix: SegmentFileSuffix, bytes: Buffer | string = 'old'): void =>
    writeFileSync(segmentFilePath(dir, baseOffset, suffix), bytes)

  it('completes a swap over the segments its offsets cover and drops cleaning and deletion leftovers', () => {
    for (const base of [0n, 5n, 10n]) for (const suffix of ['.log', '.index', '.timeindex'] as const) put(base, suffix)
    // Offsets 0-9 compacted into two batches: the swap replaces segments 0 and 5, not 10.
    const cleaned = Buffer.concat([makeBatch(2n, [1]).bytes, makeBatch(7n, [1, 2, 3]).bytes])
    put(0n, '.log.swap', cleaned)
    put(0n, '.index.swap')
    put(3n, '.log.cleaned')
    put(10n, '.log.deleted')
    put(11n, '.timeindex.deleted')
    expect(finishInterruptedSwaps(dir)).toEqual([0n])
    expect(readdirSync(dir).sort()).toEqual([
      '00000000000000000000.log',
      '00000000000000000010.index',
      '00000000000000000010.log',
      '00000000000000000010.timeindex',
    ])
    expect(readFileSync(segmentFilePath(dir, 0n, '.log'))).toEqual(cleaned)
  })

  it('an empty swap replaces only the segment of its own base offset', () => {
    for (const base of [0n, 5n]) put(base, '.log')
    put(0n, '.log.swap', Buffer.alloc(0))
    expect(finishInterruptedSwaps(dir)).toEqual([0n])
    expect(readdirSync(dir).sort()).toEqual(['00000000000000000000.log', '00000000000000000005.log'])
    expect(readFileSync(segmentFilePath(dir, 0n, '.log')).length).toBe(0)
  })

  it('leaves a directory without leftovers alone', () => {
    put(0n, '.log')
    put(0n, '.index')
    expect(finishInterruptedSwaps(dir)).toEqual([])
    expect(readdirSync(dir).length).toBe(2)
  })
})
