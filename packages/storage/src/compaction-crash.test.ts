import { copyFileSync, cpSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { encodeTestBatch, readFrom, recordsIn, swapLeftovers, type LoggedRecord, type TestRecord } from './compaction/test-support/records.js'
import { LogClosedError } from './errors.js'
import { Log } from './log.js'
import type { LogConfigInput } from './log-config.js'
import { segmentFilePath } from './segment/segment-files.js'

let root: string
let original: string
let compacted: string
beforeEach(() => {
  root = tempDir('compaction-crash')
  original = join(root, 'original')
  compacted = join(root, 'compacted')
})

const open = (dir: string, config: LogConfigInput = {}): Promise<Log> =>
  Log.open(dir, { flush: 'os', segmentMs: -1, retentionMs: -1, cleanupPolicy: 'compact', segmentBytes: 1 << 20, ...config }, { nowMs: () => 10_000 })

const append = async (log: Log, records: readonly TestRecord[]): Promise<LoggedRecord[]> => {
  const batch = encodeTestBatch(records)
  await log.append(batch)
  return recordsIn(batch)
}

const kv = (key: string, value: string | null): TestRecord => ({ key, value, timestamp: 10_000 })

const readAll = async (dir: string): Promise<LoggedRecord[]> => {
  const log = await open(dir)
  try {
    return await readFrom(log, log.logStartOffset, 1)
  } finally {
    await log.close()
  }
}

/**
 * `original`: segment 0 (offsets 0-3) where compaction keeps only a2, segment 1 (b2), active (c2);
 * `compacted`: a copy that was compacted. Only segment 0 differs between them.
 */
const buildPair = async (): Promise<{ before: LoggedRecord[]; after: LoggedRecord[] }> => {
  const log = await open(original)
  await append(log, [kv('a', 'a1'), kv('b', 'b1'), kv('c', 'c1')])
  await append(log, [kv('a', 'a2')])
  await log.roll()
  await append(log, [kv('b', 'b2')])
  await log.roll()
  await append(log, [kv('c', 'c2')])
  await log.close()
  cpSync(original, compacted, { recursive: true })
  const copy = await open(compacted)
  expect(await copy.compact()).toMatchObject({ segmentsCleaned: 1, recordsRemoved: 3 })
  await copy.close()
  const before = await readAll(original)
  const after = await readAll(compacted)
  expect(after.map((r) => r.value)).toEqual(['a2', 'b2', 'c2'])
  return { before, after }
}

const segment0 = (dir: string, suffix: '.log' | '.index' | '.timeindex' | '.log.cleaned' | '.log.swap'): string =>
  segmentFilePath(dir, 0n, suffix)

describe('a crash during compaction', () => {
  it('before the swap (a .log.cleaned left behind): reopening gives the uncompacted log', async () => {
    const { before } = await buildPair()
    const oldBytes = readFileSync(segment0(original, '.log'))
    copyFileSync(segment0(compacted, '.log'), segment0(original, '.log.cleaned'))
    expect(await readAll(original)).toEqual(before)
    expect(readFileSync(segment0(original, '.log'))).toEqual(oldBytes)
    expect(swapLeftovers(original)).toEqual([])
  })

  it('after the swap was named (a .log.swap beside the old files): reopening gives the compacted log', async () => {
    const { after } = await buildPair()
    copyFileSync(segment0(compacted, '.log'), segment0(original, '.log.swap'))
    expect(await readAll(original)).toEqual(after)
    expect(readFileSync(segment0(original, '.log'))).toEqual(readFileSync(segment0(compacted, '.log')))
    expect(swapLeftovers(original)).toEqual([])
  })

  it('after the old files were removed (only the .log.swap left): reopening gives the compacted log', async () => {
    const { after } = await buildPair()
    copyFileSync(segment0(compacted, '.log'), segment0(original, '.log.swap'))
    for (const suffix of ['.log', '.index', '.timeindex'] as const) rmSync(segment0(original, suffix))
    expect(await readAll(original)).toEqual(after)
    const log = await open(original)
    expect(await log.compact()).toMatchObject({ segmentsCleaned: 0 })
    await log.close()
  })
})

describe('compaction beside other work on the log', () => {
  it('keeps what appends made during it, and takes them into account on the next pass', async () => {
    const log = await open(original, { segmentBytes: 150, flush: 'every-batch' })
    const record = (i: number) => kv(`k${i % 3}`, i % 5 === 4 ? null : `v${i}`)
    const appended: LoggedRecord[] = []
    for (let i = 0; i < 20; i++) appended.push(...(await append(log, [record(i)])))
    const compaction = log.compact()
    for (let i = 20; i < 30; i++) appended.push(...(await append(log, [record(i)])))
    await compaction

    const byOffset = new Map(appended.map((r) => [r.offset, r]))
    const present = await readFrom(log, log.logStartOffset, 100)
    for (const r of present) expect(r).toEqual(byOffset.get(r.offset))
    const latest = new Map(appended.map((r) => [r.key, r]))
    for (const r of latest.values()) expect(present).toContainEqual(r)
    expect(present).toEqual(expect.arrayContaining(appended.slice(20)))

    await log.compact()
    const activeBase = log.segmentsForMaintenance().at(-1)!.baseOffset
    const expected = appended.filter((r) => r.offset >= activeBase || latest.get(r.key)!.offset === r.offset)
    expect(await readFrom(log, log.logStartOffset, 100)).toEqual(expected)
    expect(swapLeftovers(original)).toEqual([])
    await log.close()
  })

  it.each([
    ['at once', async () => {}],
    ['while it fsyncs', () => new Promise<void>((resolve) => setImmediate(resolve))],
  ])('stops without leaving files or open segments behind when the log is closed under it (%s)', async (_, pause) => {
    const { before, after } = await buildPair()
    const log = await open(original)
    const compaction = log.compact().catch((error: unknown) => error)
    await pause()
    await log.close()
    const outcome = await compaction
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(LogClosedError)
    for (const segment of log.segmentsForMaintenance()) expect(() => segment.read(segment.baseOffset, 1)).toThrow(LogClosedError)
    expect(swapLeftovers(original)).toEqual([])
    expect([before, after]).toContainEqual(await readAll(original))
  })
})
