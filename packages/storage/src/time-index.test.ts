import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { CorruptIndexError } from './errors.js'
import { resolveTarget, targetPick } from './test-support/index-targets.js'
import { TimeIndex } from './time-index.js'

let dir: string
beforeEach(() => {
  dir = tempDir('time-index')
})

const entriesFile = (name: string, entries: Array<[bigint, number]>): string => {
  const file = join(dir, name)
  const bytes = Buffer.alloc(entries.length * 12)
  entries.forEach(([timestamp, offset], i) => {
    bytes.writeBigInt64BE(timestamp, i * 12)
    bytes.writeInt32BE(offset, i * 12 + 8)
  })
  writeFileSync(file, bytes)
  return file
}

/**
 * Candidate appends: (timestamp, relativeOffset) with offsets increasing and timestamps a walk
 * that mostly moves by a few ms either way (so equal and neighbouring timestamps are common, and
 * out-of-order ones are dropped by the rule), sometimes jumps.
 */
const candidates = fc
  .tuple(
    fc.integer({ min: -1_000, max: 2_000_000_000_000 }),
    fc.array(
      fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -2, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000_000 }) }), fc.integer({ min: 1, max: 50 })),
      { maxLength: 150 },
    ),
  )
  .map(([start, steps]) => {
    let timestamp = start
    let offset = -1
    return steps.map(([timeStep, offsetStep]): [number, number] => [(timestamp += timeStep), (offset += offsetStep)])
  })

/** Kafka's rule applied to a plain array: keep an entry only when its timestamp beats the last kept. */
/** The oracle, a plain scan: the kept entry with the greatest timestamp at or below `target`. */
const scanLookup = (kept: ReadonlyArray<[number, number]>, target: number): { timestamp: number; relativeOffset: number } | undefined => {
  let found: [number, number] | undefined
  for (const entry of kept) if (entry[0] <= target && (found === undefined || entry[0] > found[0])) found = entry
  return found && { timestamp: found[0], relativeOffset: found[1] }
}

const keptByRule = (entries: Array<[number, number]>): Array<[number, number]> => {
  const kept: Array<[number, number]> = []
  for (const entry of entries) if (kept.length === 0 || entry[0] > kept.at(-1)![0]) kept.push(entry)
  return kept
}

describe('TimeIndex', () => {
  test.prop([candidates, fc.array(targetPick(fc.integer({ min: -2, max: 2_000_000_000_001 })), { minLength: 1, maxLength: 8 })], { numRuns: 150 })(
    'keeps only growing timestamps; lookup at, just below and just above a timestamp finds the greatest at or below; survives close and load',
    (entries, picks) => {
      const file = join(dir, 'p.timeindex')
      const index = TimeIndex.create(file, 0n)
      for (const [timestamp, offset] of entries) index.maybeAppend(timestamp, offset)
      const kept = keptByRule(entries)
      expect(index.entryCount).toBe(kept.length)
      // Targets around every candidate's timestamp, the dropped ones too.
      const targets = picks.map((pick) => resolveTarget(pick, entries.map(([timestamp]) => timestamp)))
      for (const target of targets) expect(index.lookup(target)).toEqual(scanLookup(kept, target))
      index.close()
      expect(statSync(file).size).toBe(kept.length * 12)
      const loaded = TimeIndex.load(file, 0n)
      for (const target of targets) expect(loaded.lookup(target)).toEqual(scanLookup(kept, target))
      expect(loaded.lastEntry()).toEqual(kept.length === 0 ? undefined : { timestamp: kept.at(-1)![0], relativeOffset: kept.at(-1)![1] })
      loaded.close()
    },
  )

  test.prop([candidates, targetPick(fc.integer({ min: 0, max: 8000 })), fc.boolean()], { numRuns: 150 })(
    'truncateToEntriesBefore at, just below or just above an offset keeps entries with smaller offsets, in memory and on disk',
    (entries, pick, writtenFirst) => {
      const file = join(dir, 't.timeindex')
      const index = TimeIndex.create(file, 0n)
      for (const [timestamp, offset] of entries) index.maybeAppend(timestamp, offset)
      const cut = resolveTarget(pick, keptByRule(entries).map(([, offset]) => offset))
      if (writtenFirst) index.writePending()
      index.truncateToEntriesBefore(cut)
      const kept = keptByRule(entries).filter(([, offset]) => offset < cut)
      expect(index.entryCount).toBe(kept.length)
      index.close()
      const loaded = TimeIndex.load(file, 0n)
      expect(Array.from({ length: loaded.entryCount }, (_, i) => [loaded.timestampAt(i), loaded.relativeOffsetAt(i)])).toEqual(kept)
      loaded.close()
    },
  )

  it('stores negative and large timestamps exactly', () => {
    const file = join(dir, 'n.timeindex')
    const index = TimeIndex.create(file, 0n)
    for (const [timestamp, offset] of [[-5_000_000_000, 0], [-1, 1], [0, 2], [2 ** 40 + 7, 3], [Number.MAX_SAFE_INTEGER, 4]]) {
      expect(index.maybeAppend(timestamp, offset)).toBe(true)
    }
    index.close()
    const loaded = TimeIndex.load(file, 0n)
    expect([0, 1, 2, 3, 4].map((i) => loaded.timestampAt(i))).toEqual([-5_000_000_000, -1, 0, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER])
    loaded.delete()
    expect(existsSync(file)).toBe(false)
  })

  it('refuses a newer timestamp at an older offset', () => {
    const index = TimeIndex.create(join(dir, 'r.timeindex'), 0n)
    index.maybeAppend(100, 10)
    expect(() => index.maybeAppend(200, 10)).toThrow(RangeError)
    expect(index.maybeAppend(100, 11)).toBe(false)
    index.close()
  })

  describe('load refuses a corrupt file, naming it and the numbers', () => {
    const loadError = (file: string): CorruptIndexError => {
      try {
        TimeIndex.load(file, 0n)
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptIndexError)
        expect((error as CorruptIndexError).message).toContain(file)
        return error as CorruptIndexError
      }
      throw new Error('expected CorruptIndexError')
    }

    it('size not a multiple of 12', () => {
      const file = join(dir, 'odd.timeindex')
      writeFileSync(file, Buffer.alloc(16))
      expect(loadError(file).reason).toBe('size 16 bytes is not a multiple of the 12-byte entry')
    })

    it('timestamps not increasing', () => {
      const error = loadError(entriesFile('t.timeindex', [[1000n, 1], [1000n, 2]]))
      expect(error.reason).toBe('entry 1 (timestamp 1000, relative offset 2) does not follow entry 0 (timestamp 1000, relative offset 1)')
    })

    it('offsets not increasing', () => {
      expect(loadError(entriesFile('o.timeindex', [[1000n, 5], [2000n, 4]])).reason).toContain('relative offset 4')
    })
  })
})
