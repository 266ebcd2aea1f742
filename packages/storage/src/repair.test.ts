import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { tempDir } from '@rivulet/test-kit'
import { describe, expect, it } from 'vitest'
import { LogRepairRefusedError } from './errors.js'
import { RECOVERY_POINT_FILE } from './log-checkpoints.js'
import { Log } from './log.js'
import { BASE_OFFSET_AT, CRC_AT } from './record-batch/batch-header.js'
import { planLogRepair, repairLog } from './repair.js'
import {
  appendNumbered,
  batchOf,
  batchPositions,
  crashCopy,
  flipBit,
  segmentLogFiles,
  whatIsServed,
} from './test-support/damage.js'


const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString('hex')]))

describe('planLogRepair and repairLog', () => {
  it('a closed segment: moves the damaged batch aside, keeps the offsets before it, and the next segment stays where it was', async () => {
    const dir = join(tempDir('integrity'), 'orders-0')
    const log = await Log.open(dir, { flush: 'os' })
    const acknowledged = new Map<bigint, string>()
    for (let s = 0; s < 3; s++) {
      for (const [offset, value] of await appendNumbered(log, 3, 5)) acknowledged.set(offset, value)
      await log.roll()
    }
    await log.close()
    const file = segmentLogFiles(dir)[1]!
    const position = batchPositions(file).at(-1)!
    const size = statSync(file).size
    flipBit(file, position + BASE_OFFSET_AT + 7, 2)
    const damagedBytes = readFileSync(file).subarray(position)

    const before = snapshot(dir)
    const plan = planLogRepair(dir)
    expect(snapshot(dir)).toEqual(before)
    expect(plan.damage).toMatchObject({
      file,
      position,
      segmentBaseOffset: 15n,
      keptEndOffset: 25n,
      bytesMoved: size - position,
      sideFile: `${file}.damaged-${position}`,
      nextOffset: 30n,
      startsSegmentAt: undefined,
    })

    expect(await repairLog(dir)).toEqual(plan)
    expect(readFileSync(`${file}.damaged-${position}`)).toEqual(damagedBytes)
    expect(statSync(file).size).toBe(position)
    const repaired = await Log.open(dir, { flush: 'os' })
    expect(repaired.damage).toBeUndefined()
    const served = await whatIsServed(repaired, new Map([...acknowledged].filter(([offset]) => offset < 25n || offset >= 30n)))
    expect(served).toMatchObject({ exact: 40, refused: [], wrong: [] })
    expect((await repaired.append(batchOf(['new']))).baseOffset).toBe(45n)
    await repaired.close()
    expect(planLogRepair(dir).damage).toBeUndefined()
  })

  it('the active segment after a crash: the next offset starts at the recovery point, above every acknowledged one', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir, { flush: 'every-batch' })
    const acknowledged = await appendNumbered(log, 1_000, 1)
    const crashed = crashCopy(dir)
    await log.close()
    const file = segmentLogFiles(crashed)[0]!
    const position = batchPositions(file)[500]!
    flipBit(file, position + CRC_AT + 20, 0)
    const plan = planLogRepair(crashed)
    expect(plan.damage).toMatchObject({ file, position, keptEndOffset: 500n, nextOffset: 1_000n, startsSegmentAt: 1_000n })
    expect(plan.damage!.nextOffsetReason).toMatch(/recovery point/)
    await repairLog(crashed)
    const repaired = await Log.open(crashed, { flush: 'every-batch' })
    expect(repaired.damage).toBeUndefined()
    expect(repaired.logEndOffset).toBe(1_000n)
    const served = await whatIsServed(repaired, new Map([...acknowledged].filter(([offset]) => offset < 500n)))
    expect(served).toMatchObject({ exact: 500, wrong: [] })
    expect((await repaired.append(batchOf(['new']))).baseOffset).toBe(1_000n)
    await repaired.close()
  })

  it('without a recovery point, the offsets named by plausible damaged headers are never handed out again', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir, { flush: 'os' })
    await appendNumbered(log, 100, 2)
    await log.close()
    rmSync(join(dir, RECOVERY_POINT_FILE))
    const file = segmentLogFiles(dir)[0]!
    flipBit(file, batchPositions(file)[10]! + CRC_AT + 30, 5)
    const plan = planLogRepair(dir)
    expect(plan.damage).toMatchObject({ keptEndOffset: 20n, nextOffset: 200n, startsSegmentAt: 200n })
    expect(plan.damage!.nextOffsetReason).toMatch(/damaged batch header/)
    await repairLog(dir)
    const repaired = await Log.open(dir, { flush: 'os' })
    expect((await repaired.append(batchOf(['new']))).baseOffset).toBe(200n)
    await repaired.close()
  })

  it('a log ending below its recovery point: nothing to move, the next offset starts at the recovery point', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir, { flush: 'every-batch' })
    await appendNumbered(log, 10, 1)
    await log.close()
    writeFileSync(join(dir, RECOVERY_POINT_FILE), '0\n50\n')
    const plan = planLogRepair(dir)
    expect(plan.damage).toMatchObject({ keptEndOffset: 10n, bytesMoved: 0, nextOffset: 50n, startsSegmentAt: 50n })
    await repairLog(dir)
    const repaired = await Log.open(dir)
    expect(repaired.damage).toBeUndefined()
    expect(repaired.logEndOffset).toBe(50n)
    await repaired.close()
  })

  it('does nothing to a log without damage', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir)
    await appendNumbered(log, 3, 1)
    await log.close()
    expect(await repairLog(dir)).toEqual({ dir, damage: undefined })
  })

  it("refuses while the data directory's .lock names a running process", async () => {
    const dataDir = tempDir('integrity')
    const dir = join(dataDir, 'orders-0')
    mkdirSync(dir)
    const log = await Log.open(dir)
    await log.close()
    writeFileSync(join(dirname(dir), '.lock'), String(process.pid))
    expect(() => planLogRepair(dir)).toThrow(LogRepairRefusedError)
    await expect(repairLog(dir)).rejects.toThrow(/names process \d+, which is running/)
    expect(existsSync(join(dataDir, '.lock'))).toBe(true)
  })
})
