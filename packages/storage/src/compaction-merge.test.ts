import { cpSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { compactLog } from './compaction.js'
import { planMerges } from './compaction/merge-plan.js'
import {
  encodeTestBatch,
  expectSegmentsBounded,
  readFrom,
  recordsIn,
  swapLeftovers,
  type LoggedRecord,
  type TestRecord,
} from './compaction/test-support/records.js'
import { Log } from './log.js'
import type { LogConfigInput } from './log-config.js'

const NOW = 10_000

let root: string
beforeEach(() => {
  root = tempDir('compaction-merge')
})

const config: LogConfigInput = { flush: 'os', segmentMs: -1, retentionMs: -1, cleanupPolicy: 'compact', deleteRetentionMs: 1_000 }
const open = (dir: string, overrides: LogConfigInput = {}): Promise<Log> => Log.open(dir, { ...config, ...overrides }, { nowMs: () => NOW })

const appendOne = async (log: Log, record: TestRecord): Promise<LoggedRecord[]> => {
  const batch = encodeTestBatch([record])
  await log.append(batch)
  return recordsIn(batch)
}

const baseOffsets = (log: Log): bigint[] => log.segmentsForMaintenance().map((s) => s.baseOffset)

describe('planMerges', () => {
  const shape = (baseOffset: bigint, nextOffset: bigint, sizeBytes: number) => ({ baseOffset, nextOffset, sizeBytes })

  it('removes empty segments but the log first, and groups neighbours up to segmentBytes', () => {
    const segments = [shape(0n, 0n, 0), shape(5n, 7n, 40), shape(9n, 9n, 0), shape(12n, 13n, 50), shape(20n, 22n, 30), shape(30n, 31n, 90)]
    const plan = planMerges(segments, 100, true)
    expect(plan.emptyToRemove).toEqual([segments[2]])
    // 0 + 40 + 50 fit in 100; 30 more would not, and 30 + 90 would not either.
    expect(plan.groups).toEqual([[segments[0], segments[1], segments[3]]])
  })

  it('keeps a run within int32 relative offsets of its first base offset, and never leaves an empty segment last in a run', () => {
    const far = 0x7fffffffn
    // The second segment ends at relative offset 2^31-2 of the first; the third would end at 2^31.
    const segments = [shape(0n, 1n, 10), shape(far - 5n, far, 10), shape(far, far + 2n, 10), shape(far + 2n, far + 2n, 0)]
    const plan = planMerges(segments, 1_000, false)
    expect(plan.emptyToRemove).toEqual([segments[3]])
    expect(plan.groups).toEqual([[segments[0], segments[1]]])
    for (const group of plan.groups) expect(group.at(-1)!.sizeBytes).toBeGreaterThan(0)
  })
})

describe('compaction of a topic with frequent small segments (issue 7, item 8)', () => {
  it('keeps the segment count bounded by the live bytes, however many segments were rolled', async () => {
    const dir = join(root, 'log')
    const segmentBytes = 4_096
    const log = await open(dir, { segmentBytes })
    const latest = new Map<string, LoggedRecord>()
    const counts: number[] = []
    for (let round = 0; round < 3; round++) {
      // 150 one-record segments over 120 keys: after compaction about 120 live records remain.
      for (let i = 0; i < 150; i++) {
        const key = `key-${(round * 150 + i) % 120}`
        for (const r of await appendOne(log, { key, value: `value-${round}-${i}`, timestamp: NOW })) latest.set(key, r)
        await log.roll()
      }
      const segmentsBefore = log.segmentCount
      const result = await log.compact()
      expect(result.segmentsRemoved).toBe(segmentsBefore - log.segmentCount)
      expectSegmentsBounded(log)
      const liveBytes = log.segmentsForMaintenance().slice(0, -1).reduce((total, s) => total + s.sizeBytes, 0)
      // No two closed neighbours fit in one segment, so there are at most 2 per segmentBytes of live data.
      expect(log.segmentCount).toBeLessThanOrEqual(2 * Math.ceil(liveBytes / segmentBytes) + 2)
      counts.push(log.segmentCount)
      const expected = [...latest.values()].sort((a, b) => Number(a.offset - b.offset))
      expect(await readFrom(log, log.logStartOffset, 1_000)).toEqual(expected)
    }
    expect(counts.every((count) => count <= counts[0]! + 2)).toBe(true)
    expect(log.logStartOffset).toBe(0n)
    expect(log.logEndOffset).toBe(450n)
    await log.close()
    const reopened = await open(dir, { segmentBytes })
    expect(reopened.segmentCount).toBe(counts.at(-1))
    expect(readdirSync(dir).filter((name) => name.endsWith('.log')).length).toBe(counts.at(-1))
    await reopened.close()
  })

  it('never moves the log start: an emptied first segment leads the merge and names it', async () => {
    const dir = join(root, 'log')
    const log = await open(dir, { segmentBytes: 1 << 20 })
    await appendOne(log, { key: 'a', value: 'a1', timestamp: NOW })
    await log.roll()
    await appendOne(log, { key: 'b', value: 'b1', timestamp: NOW })
    await log.roll()
    await appendOne(log, { key: 'a', value: 'a2', timestamp: NOW })
    await log.roll()
    await appendOne(log, { key: 'c', value: 'c1', timestamp: NOW })
    expect(await log.compact()).toMatchObject({ segmentsCleaned: 1, recordsRemoved: 1, segmentsRemoved: 2 })
    expect(baseOffsets(log)).toEqual([0n, 3n])
    expect(log.logStartOffset).toBe(0n)
    expect((await readFrom(log, 0n)).map((r) => [r.offset, r.value])).toEqual([[1n, 'b1'], [2n, 'a2'], [3n, 'c1']])
    await log.close()
  })

  it('an emptied first segment alone before the active one stays: the log start offset does not move', async () => {
    const dir = join(root, 'log')
    const log = await open(dir, { segmentBytes: 1 << 20 })
    await appendOne(log, { key: 'a', value: 'a1', timestamp: NOW })
    await log.roll()
    await appendOne(log, { key: 'a', value: 'a2', timestamp: NOW })
    expect(await log.compact()).toMatchObject({ segmentsCleaned: 1, segmentsRemoved: 0 })
    expect(baseOffsets(log)).toEqual([0n, 1n])
    expect([log.logStartOffset, log.segmentsForMaintenance()[0]!.sizeBytes]).toEqual([0n, 0])
    await log.close()
  })
})

/**
 * A log whose compaction cleans, removes and merges: one-record segments 0 (a1), 1 (b1), 2 (a2),
 * 3 (b2), 4 (c1), 5 (d1) and the active 6 (c2). Cleaning empties 0, 1 and 4; 1 and 4 are removed,
 * and 0 (the log start), 2, 3 and 5 are merged into segment 0.
 */
const buildLog = async (dir: string): Promise<LoggedRecord[]> => {
  const log = await open(dir, { segmentBytes: 1 << 20 })
  const appended: LoggedRecord[] = []
  for (const [key, value] of [['a', 'a1'], ['b', 'b1'], ['a', 'a2'], ['b', 'b2'], ['c', 'c1'], ['d', 'd1']] as const) {
    appended.push(...(await appendOne(log, { key, value, timestamp: NOW })))
    await log.roll()
  }
  appended.push(...(await appendOne(log, { key: 'c', value: 'c2', timestamp: NOW })))
  await log.close()
  return appended
}

const readAll = async (dir: string): Promise<{ records: LoggedRecord[]; bases: bigint[]; start: bigint; end: bigint }> => {
  const log = await open(dir, { segmentBytes: 1 << 20 })
  try {
    return { records: await readFrom(log, log.logStartOffset, 1), bases: baseOffsets(log), start: log.logStartOffset, end: log.logEndOffset }
  } finally {
    await log.close()
  }
}

describe('a crash at each step of a compaction that removes and merges segments', () => {
  it('reopens to the old segments or the new ones, every kept record once at its offset, and the next pass finishes', async () => {
    const dir = join(root, 'log')
    const appended = await buildLog(dir)
    const byOffset = new Map(appended.map((r) => [r.offset, r]))
    const before = await readAll(dir)
    const snapshots: Array<{ step: string; dir: string }> = []
    const log = await open(dir, { segmentBytes: 1 << 20 })
    const bases = baseOffsets(log)
    const result = await compactLog(log, NOW, (step) => {
      const copy = join(root, `crash-${snapshots.length}`)
      cpSync(dir, copy, { recursive: true })
      snapshots.push({ step, dir: copy })
    })
    await log.close()
    expect(result).toMatchObject({ segmentsCleaned: 3, recordsRemoved: 3, segmentsRemoved: 5 })
    const after = await readAll(dir)
    expect(after.records.map((r) => r.value)).toEqual(['a2', 'b2', 'd1', 'c2'])
    expect(after.bases).toEqual([0n, 6n])
    const steps = snapshots.map((s) => s.step)
    for (const expected of ['removed empty segment', 'wrote merged segment', 'renamed 0.log.cleaned to .log.swap', 'removed merged segment', 'renamed 0.log.swap to .log']) {
      expect(steps.some((step) => step.startsWith(expected)), expected).toBe(true)
    }

    const mergeStarted = steps.findIndex((step) => step.startsWith('removed empty segment'))
    for (const [i, snapshot] of snapshots.entries()) {
      const state = await readAll(snapshot.dir)
      expect(swapLeftovers(snapshot.dir), snapshot.step).toEqual([])
      expect([state.start, state.end], snapshot.step).toEqual([before.start, before.end])
      // Every record served is one that was appended, at its offset; every record compaction keeps is served.
      for (const record of state.records) expect(record, snapshot.step).toEqual(byOffset.get(record.offset))
      expect(state.records, snapshot.step).toEqual(expect.arrayContaining(after.records))
      // Segments are the old ones, less some, plus the merged one named by its first base offset.
      for (const base of state.bases) expect(bases, snapshot.step).toContain(base)
      if (i >= mergeStarted) expect(state.records, snapshot.step).toEqual(after.records)
      const reopened = await open(snapshot.dir, { segmentBytes: 1 << 20 })
      await reopened.compact()
      expect(baseOffsets(reopened), snapshot.step).toEqual(after.bases)
      expect(await readFrom(reopened, 0n, 1), snapshot.step).toEqual(after.records)
      await reopened.close()
    }
  })
})
