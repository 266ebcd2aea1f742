// Issue 7 items 4 and 5: damaged bytes are never served at the wrong offset and never silently cut.
import { existsSync, rmSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@rivulet/test-kit'
import { describe, expect, it } from 'vitest'
import { LogCorruptedError } from './errors.js'
import { CLEAN_SHUTDOWN_FILE, COMPACTED_BELOW_FILE, RECOVERY_POINT_FILE } from './log-checkpoints.js'
import { Log } from './log.js'
import { BASE_OFFSET_AT } from './record-batch/batch-header.js'
import {
  appendNumbered,
  batchOf,
  batchPositions,
  crashCopy,
  flipBit,
  segmentLogFiles,
  whatIsServed,
} from './test-support/damage.js'


/**
 * Three closed segments of 3 batches of 5 records each, then an empty active one; closed cleanly.
 * An index entry per batch, as in big segments: open then checks only the batches after the last
 * entry, and the reads are what must notice damage before it.
 */
const threeClosedSegments = async (): Promise<{ dir: string; acknowledged: Map<bigint, string> }> => {
  const dir = tempDir('integrity')
  const log = await Log.open(dir, { flush: 'os', indexIntervalBytes: 1 })
  const acknowledged = new Map<bigint, string>()
  for (let s = 0; s < 3; s++) {
    for (const [offset, value] of await appendNumbered(log, 3, 5)) acknowledged.set(offset, value)
    await log.roll()
  }
  await log.close()
  return { dir, acknowledged }
}

describe('a flipped bit in a batch base offset (outside the CRC) of a closed segment', () => {
  for (const which of ['last', 'first'] as const) {
    it(`in its ${which} batch: every record is served at its own offset or refused naming the damage, for every bit`, async () => {
      const { dir, acknowledged } = await threeClosedSegments()
      const file = segmentLogFiles(dir)[1]!
      const position = which === 'last' ? batchPositions(file).at(-1)! : 0
      for (let bit = 0; bit < 63; bit++) {
        flipBit(file, position + BASE_OFFSET_AT + 7 - (bit >> 3), bit & 7)
        const log = await Log.open(dir, { flush: 'os' })
        const served = await whatIsServed(log, acknowledged)
        expect(served.wrong, `bit ${bit}`).toEqual([])
        // Only offsets of the damaged segment are refused (with the first batch wrong, the chain
        // from the segment's name is broken for all of it); every other record is served exactly.
        expect(served.refused.length, `bit ${bit}`).toBeGreaterThanOrEqual(5)
        expect(served.refused.every((offset) => offset >= 15n && offset < 30n), `bit ${bit}`).toBe(true)
        expect(served.exact, `bit ${bit}`).toBeGreaterThanOrEqual(30)
        const error = await log.read(which === 'last' ? 25n : 15n, { maxBytes: 1 }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(LogCorruptedError)
        expect(error).toMatchObject({ file, position })
        await log.close()
        flipBit(file, position + BASE_OFFSET_AT + 7 - (bit >> 3), bit & 7)
      }
    })
  }

  it('in the last batch: found at open, with the offsets it may hold, and appends are refused', async () => {
    const { dir } = await threeClosedSegments()
    const file = segmentLogFiles(dir)[1]!
    const position = batchPositions(file).at(-1)!
    flipBit(file, position + BASE_OFFSET_AT + 7, 2) // base offset 25 reads as 29
    const log = await Log.open(dir, { flush: 'os' })
    expect(log.damage).toMatchObject({ file, position, firstOffset: 25n, endOffset: 30n })
    expect(log.damage!.message).toMatch(/does not follow the previous batch's last offset 24/)
    expect(() => log.appendUnflushed(batchOf(['x']))).toThrow(LogCorruptedError)
    expect((await log.read(30n, { maxBytes: 1 })).bytes.length).toBeGreaterThan(0) // the next segment is whole
    await log.close()
  })
})

describe('a closed segment cut at a batch boundary (no invalid batch left)', () => {
  it('is damage at open, not a compaction gap; after repair it opens without damage and offsets go on above', async () => {
    const { dir, acknowledged } = await threeClosedSegments()
    const file = segmentLogFiles(dir)[1]!
    const position = batchPositions(file)[1]!
    truncateSync(file, position)
    const log = await Log.open(dir, { flush: 'os' })
    expect(log.damage).toMatchObject({ file, position, firstOffset: 20n, endOffset: 30n })
    expect(log.damage!.message).toMatch(/batches are missing/)
    const served = await whatIsServed(log, acknowledged)
    expect(served.wrong).toEqual([])
    expect(served.refused).toEqual([20n, 21n, 22n, 23n, 24n, 25n, 26n, 27n, 28n, 29n])
    await log.close()
    const { repairLog } = await import('./repair.js')
    const plan = await repairLog(dir)
    expect(plan.damage).toMatchObject({ bytesMoved: 0, nextOffset: 30n, sideFile: `${file}.damaged-${position}` })
    const repaired = await Log.open(dir, { flush: 'os' })
    expect(repaired.damage).toBeUndefined()
    expect((await repaired.append(batchOf(['new']))).baseOffset).toBe(45n)
    await repaired.close()
  })
})

describe('a flipped bit in flushed data of the active segment', () => {
  /** 1,000 fsynced records, one per batch. */
  const thousandFsynced = async (dir: string): Promise<{ log: Log; acknowledged: Map<bigint, string> }> => {
    const log = await Log.open(dir, { flush: 'every-batch' })
    return { log, acknowledged: await appendNumbered(log, 1_000, 1) }
  }

  it('after a clean close: the log end stays 1000, batch 0 is refused, and the next append gets offset 1000', async () => {
    const dir = tempDir('integrity')
    const { log, acknowledged } = await thousandFsynced(dir)
    await log.close()
    flipBit(segmentLogFiles(dir)[0]!, 30, 3)
    const reopened = await Log.open(dir, { flush: 'every-batch' })
    expect(reopened.openReport.cleanShutdown).toBe(true)
    expect(reopened.recovery).toBeUndefined()
    expect(reopened.logEndOffset).toBe(1_000n)
    const served = await whatIsServed(reopened, acknowledged)
    expect(served).toMatchObject({ exact: 999, refused: [0n], wrong: [] })
    expect((await reopened.append(batchOf(['new']))).baseOffset).toBe(1_000n)
    await reopened.close()
  })

  it('after a crash: damage below the recovery point is not cut; the log refuses reads there and appends', async () => {
    const dir = tempDir('integrity')
    const { log, acknowledged } = await thousandFsynced(dir)
    const crashed = crashCopy(dir)
    await log.close()
    const file = segmentLogFiles(crashed)[0]!
    const size = statSync(file).size
    flipBit(file, 30, 3)
    const reopened = await Log.open(crashed, { flush: 'every-batch' })
    expect(reopened.openReport).toMatchObject({ cleanShutdown: false, recoveryPoint: 1_000n })
    expect(reopened.recovery).toBeUndefined()
    expect(statSync(file).size).toBe(size)
    expect(reopened.damage).toMatchObject({ file, position: 0, firstOffset: 0n, endOffset: undefined })
    expect(reopened.damage!.message).toMatch(/CRC mismatch/)
    expect(() => reopened.appendUnflushed(batchOf(['new']))).toThrow(LogCorruptedError)
    const served = await whatIsServed(reopened, acknowledged)
    expect(served.wrong).toEqual([])
    expect(served.exact).toBe(0)
    await reopened.close()
    // Closing a damaged log records no clean shutdown: the next open finds the damage again.
    expect(existsSync(join(crashed, CLEAN_SHUTDOWN_FILE))).toBe(false)
    const again = await Log.open(crashed, { flush: 'every-batch' })
    expect(again.damage).toMatchObject({ file, position: 0 })
    await again.close()
  })

  it('after a crash: a truncation at a batch boundary below the recovery point is damage, not a shorter log', async () => {
    const dir = tempDir('integrity')
    const { log } = await thousandFsynced(dir)
    const crashed = crashCopy(dir)
    await log.close()
    const file = segmentLogFiles(crashed)[0]!
    const position = batchPositions(file)[600]!
    truncateSync(file, position)
    const reopened = await Log.open(crashed, { flush: 'every-batch' })
    expect(reopened.damage).toMatchObject({ file, position, firstOffset: 600n })
    expect(reopened.damage!.message).toMatch(/below its recovery point 1000/)
    expect(() => reopened.appendUnflushed(batchOf(['new']))).toThrow(LogCorruptedError)
    await expect(reopened.read(600n, { maxBytes: 1 })).rejects.toBeInstanceOf(LogCorruptedError)
    expect((await reopened.read(599n, { maxBytes: 1 })).bytes.length).toBeGreaterThan(0)
    await reopened.close()
  })

  it('after a clean close: a truncation at a batch boundary is damage too', async () => {
    const dir = tempDir('integrity')
    const { log } = await thousandFsynced(dir)
    await log.close()
    const file = segmentLogFiles(dir)[0]!
    truncateSync(file, batchPositions(file)[990]!)
    const reopened = await Log.open(dir, { flush: 'every-batch' })
    expect(reopened.damage).toMatchObject({ file, firstOffset: 990n })
    await reopened.close()
  })

  it('a recovery point checkpoint that does not parse is reported and not trusted', async () => {
    const dir = tempDir('integrity')
    const { log } = await thousandFsynced(dir)
    const crashed = crashCopy(dir)
    await log.close()
    truncateSync(join(crashed, RECOVERY_POINT_FILE), 3)
    const reopened = await Log.open(crashed)
    expect(reopened.openReport.recoveryPoint).toBeUndefined()
    expect(reopened.openReport.notes).toEqual([expect.stringMatching(/recovery point not trusted/)])
    expect(reopened.logEndOffset).toBe(1_000n)
    await reopened.close()
  })
})

describe('the recovery point', () => {
  it('covers every acknowledged append under every-batch, and is checkpointed before the acknowledgement', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir, { flush: 'every-batch', segmentBytes: 300 })
    for (let i = 0; i < 20; i++) {
      const result = await log.append(batchOf([`v${i}`]))
      expect(log.recoveryPoint).toBe(result.logEndOffset)
      const reopened = await Log.open(crashCopy(dir))
      expect(reopened.openReport.recoveryPoint).toBe(result.logEndOffset)
      await reopened.close()
    }
    await log.close()
  })

  it('is lowered by truncateTo, so the shorter log is not damage', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir, { flush: 'every-batch' })
    await appendNumbered(log, 10, 1)
    await log.truncateTo(4n)
    const crashed = crashCopy(dir)
    await log.close()
    const reopened = await Log.open(crashed)
    expect(reopened.damage).toBeUndefined()
    expect(reopened.logEndOffset).toBe(4n)
    await reopened.close()
  })
})

describe('compaction gaps', () => {
  it('a compacted segment keeps its gaps legitimately after the policy changes from compact to delete', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir, { flush: 'os', cleanupPolicy: 'compact' })
    for (let i = 0; i < 6; i++) await log.append(batchOf([`a${i}`], i % 2 === 0 ? 'even' : `odd${i}`))
    await log.roll()
    await log.append(batchOf(['last'], 'even'))
    expect(await log.compact()).toMatchObject({ segmentsCleaned: 1 })
    await log.close()
    expect(existsSync(join(dir, COMPACTED_BELOW_FILE))).toBe(true)
    const reopened = await Log.open(dir, { flush: 'os', cleanupPolicy: 'delete' })
    expect(reopened.damage).toBeUndefined()
    const { bytes } = await reopened.read(0n, { maxBytes: 10_000 })
    expect(bytes.length).toBeGreaterThan(0)
    await reopened.close()
    // Without the checkpoint, a delete-policy log must be contiguous: the gap is then called damage.
    rmSync(join(dir, COMPACTED_BELOW_FILE))
    const strict = await Log.open(dir, { flush: 'os', cleanupPolicy: 'delete' })
    await expect(strict.read(0n, { maxBytes: 10_000 })).rejects.toBeInstanceOf(LogCorruptedError)
    await strict.close()
  })
})
