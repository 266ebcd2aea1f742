import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { CorruptIndexError } from './errors.js'
import { OffsetIndex } from './offset-index.js'
import { entryStep, resolveTarget, targetPick } from './test-support/index-targets.js'

let dir: string
beforeEach(() => {
  dir = tempDir('offset-index')
})

const entriesFile = (name: string, entries: Array<[number, number]>): string => {
  const file = join(dir, name)
  const bytes = Buffer.alloc(entries.length * 8)
  entries.forEach(([offset, position], i) => {
    bytes.writeInt32BE(offset, i * 8)
    bytes.writeInt32BE(position, i * 8 + 4)
  })
  writeFileSync(file, bytes)
  return file
}

/** The oracle, a plain scan: the greatest appended entry at or below `target`, else (0, 0). */
const scanLookup = (entries: ReadonlyArray<[number, number]>, target: number): { relativeOffset: number; position: number } => {
  let found: [number, number] = [0, 0]
  for (const entry of entries) if (entry[0] <= target && entry[0] >= found[0]) found = entry
  return { relativeOffset: found[0], position: found[1] }
}

/** Strictly increasing (relativeOffset, position) pairs, neighbours often one apart. */
const increasingEntries = fc
  .array(fc.tuple(entryStep(1000), entryStep(100_000)), { maxLength: 200 })
  .map((steps) => {
    let offset = 0
    let position = 0
    return steps.map(([offsetStep, positionStep]): [number, number] => [(offset += offsetStep), (position += positionStep)])
  })

describe('OffsetIndex', () => {
  it('answers (0, 0) below the first entry and when empty', () => {
    const index = OffsetIndex.create(join(dir, 'a.index'), 100n)
    expect(index.lookup(5)).toEqual({ relativeOffset: 0, position: 0 })
    expect(index.lastEntry()).toEqual({ relativeOffset: 0, position: 0 })
    index.append(10, 4096)
    expect(index.lookup(9)).toEqual({ relativeOffset: 0, position: 0 })
    expect(index.lookup(10)).toEqual({ relativeOffset: 10, position: 4096 })
    expect(index.lookup(1_000_000)).toEqual({ relativeOffset: 10, position: 4096 })
    index.close()
  })

  test.prop([increasingEntries, fc.array(targetPick(fc.integer({ min: -5, max: 300_000 })), { minLength: 1, maxLength: 8 })], { numRuns: 150 })(
    'lookup at, just below and just above entries finds the greatest entry at or below; survives close and load',
    (entries, picks) => {
      const file = join(dir, `p.index`)
      const index = OffsetIndex.create(file, 0n)
      for (const [offset, position] of entries) index.append(offset, position)
      const targets = picks.map((pick) => resolveTarget(pick, entries.map(([offset]) => offset)))
      for (const target of targets) expect(index.lookup(target)).toEqual(scanLookup(entries, target))
      index.close()
      expect(statSync(file).size).toBe(entries.length * 8)
      const loaded = OffsetIndex.load(file, 0n)
      expect(loaded.entryCount).toBe(entries.length)
      for (const target of targets) expect(loaded.lookup(target)).toEqual(scanLookup(entries, target))
      loaded.close()
    },
  )

  test.prop([increasingEntries, targetPick(fc.integer({ min: 0, max: 300_000 })), fc.boolean(), fc.boolean()], { numRuns: 150 })(
    'truncation at, just below or just above an entry keeps exactly the entries before the cut, in memory and on disk',
    (entries, pick, byPosition, writtenFirst) => {
      const file = join(dir, 't.index')
      const index = OffsetIndex.create(file, 0n)
      for (const [offset, position] of entries) index.append(offset, position)
      const cut = resolveTarget(pick, entries.map(([offset, position]) => (byPosition ? position : offset)))
      if (writtenFirst) index.writePending()
      if (byPosition) index.truncateToPosition(cut)
      else index.truncateToEntriesBefore(cut)
      const kept = entries.filter(([offset, position]) => (byPosition ? position : offset) < cut)
      expect(index.entryCount).toBe(kept.length)
      index.append(1_000_000, 10_000_000)
      index.close()
      const loaded = OffsetIndex.load(file, 0n)
      const all = [...kept, [1_000_000, 10_000_000]]
      expect(loaded.entryCount).toBe(all.length)
      all.forEach(([offset, position], i) => {
        expect([loaded.relativeOffsetAt(i), loaded.positionAt(i)]).toEqual([offset, position])
      })
      loaded.close()
    },
  )

  it('writes entries only on writePending, flush or close', async () => {
    const file = join(dir, 'w.index')
    const index = OffsetIndex.create(file, 0n)
    index.append(1, 100)
    index.append(2, 200)
    expect(statSync(file).size).toBe(0)
    expect(index.pendingEntryCount).toBe(2)
    await index.flush()
    expect(statSync(file).size).toBe(16)
    index.append(3, 300)
    index.writePending()
    expect(readFileSync(file).readInt32BE(20)).toBe(300)
    index.close()
  })

  it('refuses an entry that does not increase in both fields', () => {
    const index = OffsetIndex.create(join(dir, 'r.index'), 0n)
    index.append(5, 500)
    expect(() => index.append(5, 600)).toThrow(RangeError)
    expect(() => index.append(6, 500)).toThrow(RangeError)
    index.close()
  })

  it('may be closed while a flush is in flight, and is deleted with its file', async () => {
    const file = join(dir, 'c.index')
    const index = OffsetIndex.create(file, 0n)
    index.append(1, 10)
    const flushed = index.flush()
    index.close()
    await flushed
    expect(statSync(file).size).toBe(8)
    const loaded = OffsetIndex.load(file, 0n)
    loaded.delete()
    expect(existsSync(file)).toBe(false)
  })

  describe('load refuses a corrupt file, naming it and the numbers', () => {
    const corruptReason = (file: string): string => {
      try {
        OffsetIndex.load(file, 0n)
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptIndexError)
        expect((error as CorruptIndexError).file).toBe(file)
        expect((error as CorruptIndexError).message).toContain(file)
        return (error as CorruptIndexError).reason
      }
      throw new Error('expected CorruptIndexError')
    }

    it('size not a multiple of 8', () => {
      const file = join(dir, 'odd.index')
      writeFileSync(file, Buffer.alloc(13))
      expect(corruptReason(file)).toBe('size 13 bytes is not a multiple of the 8-byte entry')
    })

    it('offsets not increasing', () => {
      const reason = corruptReason(entriesFile('o.index', [[5, 100], [5, 200]]))
      expect(reason).toBe('entry 1 (relative offset 5, position 200) does not follow entry 0 (relative offset 5, position 100)')
    })

    it('positions not increasing', () => {
      expect(corruptReason(entriesFile('p.index', [[1, 100], [7, 300], [9, 250]]))).toContain('entry 2 (relative offset 9, position 250)')
    })

    it('negative numbers', () => {
      expect(corruptReason(entriesFile('n.index', [[-3, 100]]))).toContain('relative offset -3')
    })

    it('accepts an empty file', () => {
      const loaded = OffsetIndex.load(entriesFile('e.index', []), 0n)
      expect(loaded.entryCount).toBe(0)
      loaded.close()
    })
  })
})
