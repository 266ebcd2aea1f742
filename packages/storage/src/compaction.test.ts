import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import {
  encodeTestBatch,
  expectSegmentsBounded,
  readDirectoryFiles,
  readFrom,
  recordsIn,
  swapLeftovers,
  type LoggedRecord,
  type TestRecord,
} from './compaction/test-support/records.js'
import { CorruptRecordBatchError } from './errors.js'
import { Log } from './log.js'
import type { LogConfigInput } from './log-config.js'
import { ATTRIBUTES_AT, CRC_AT, RECORDS_AT } from './record-batch/batch-header.js'
import { crc32cOfRange } from './record-batch/crc32c.js'
import { readBatchHeader } from './record-batch/decoder.js'
import type { EncodeRecordBatchOptions } from './record-batch/encoder.js'

const NOW = 10_000
const DELETE_RETENTION_MS = 1_000
const NOTHING = { segmentsCleaned: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0, segmentsRemoved: 0 }

let dir: string
beforeEach(() => {
  dir = tempDir('compaction')
})

const open = (config: LogConfigInput = {}, at: string = dir): Promise<Log> =>
  Log.open(
    at,
    { flush: 'os', segmentMs: -1, retentionMs: -1, cleanupPolicy: 'compact', deleteRetentionMs: DELETE_RETENTION_MS, ...config },
    { nowMs: () => NOW },
  )

const append = async (log: Log, records: readonly TestRecord[], options: EncodeRecordBatchOptions = {}, leaderEpoch?: number) => {
  const batch = encodeTestBatch(records, options)
  await log.append(batch, { leaderEpoch })
  return { batch, records: recordsIn(batch) }
}

/** What compaction must leave of `appended`: closed-segment records that are their key's latest and not expired tombstones. */
const expectedAfterCompaction = (appended: readonly LoggedRecord[], activeBaseOffset: bigint): LoggedRecord[] => {
  const latest = new Map<string, bigint>()
  for (const record of appended) if (record.key !== null) latest.set(record.key, record.offset)
  return appended.filter(
    (r) =>
      r.offset >= activeBaseOffset ||
      r.key === null ||
      (latest.get(r.key) === r.offset && !(r.value === null && r.timestamp + DELETE_RETENTION_MS <= NOW)),
  )
}

const recordArb: fc.Arbitrary<TestRecord> = fc.record({
  key: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e') }, { weight: 1, arbitrary: fc.constant(null) }),
  value: fc.option(fc.string({ maxLength: 8 }), { freq: 3 }),
  timestamp: fc.integer({ min: NOW - 2 * DELETE_RETENTION_MS, max: NOW + 500 }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 3 }), value: fc.option(fc.string({ maxLength: 3 })) }), { maxLength: 1 }),
})

const batchArb = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 5 }),
  options: fc.record({
    compression: fc.constantFrom('none' as const, 'gzip' as const),
    timestampType: fc.constantFrom('create' as const, 'create' as const, 'log-append' as const),
    producerId: fc.bigInt({ min: -1n, max: 1000n }),
    producerEpoch: fc.integer({ min: -1, max: 5 }),
    baseSequence: fc.integer({ min: -1, max: 1000 }),
  }),
  leaderEpoch: fc.option(fc.nat(10), { nil: undefined }),
})

describe('compactLog', () => {
  it('keeps each key latest record at its offset, drops older ones and expired tombstones, leaves the active segment', async () => {
    let segmentsCleaned = 0
    let segmentsRemoved = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchArb, { minLength: 3, maxLength: 40 }),
        fc.constantFrom('compact' as const, 'compact,delete' as const),
        fc.constantFrom(100, 250, 500),
        fc.integer({ min: 1, max: 600 }),
        fc.nat(),
        async (batches, cleanupPolicy, segmentBytes, maxBytes, pick) => {
          const at = mkdtempSync(join(dir, 'run-'))
          const config = { segmentBytes, indexIntervalBytes: 100, cleanupPolicy }
          let log = await open(config, at)
          try {
            const appended: LoggedRecord[] = []
            for (const b of batches) appended.push(...(await append(log, b.records, b.options, b.leaderEpoch)).records)

            const segmentBases = log.segmentsForMaintenance().map((s) => s.baseOffset)
            const active = log.segmentsForMaintenance().at(-1)!
            const activeBytes = readFileSync(active.file)
            const { logStartOffset, logEndOffset, sizeBytes, segmentCount: countBefore } = log
            const expected = expectedAfterCompaction(appended, active.baseOffset)
            const from = logStartOffset + BigInt(pick % Number(logEndOffset - logStartOffset + 1n))
            expect(await readFrom(log, logStartOffset, maxBytes)).toEqual(appended)
            let segmentCount = countBefore

            const check = async () => {
              expectSegmentsBounded(log)
              expect([log.logStartOffset, log.logEndOffset, log.segmentCount]).toEqual([logStartOffset, logEndOffset, segmentCount])
              expect(await readFrom(log, logStartOffset, maxBytes)).toEqual(expected)
              expect(await readFrom(log, from, maxBytes)).toEqual(expected.filter((r) => r.offset >= from))
              expect(readFileSync(log.segmentsForMaintenance().at(-1)!.file)).toEqual(activeBytes)
              expect(swapLeftovers(at)).toEqual([])
            }

            const result = await log.compact()
            segmentsCleaned += result.segmentsCleaned
            segmentsRemoved += result.segmentsRemoved
            segmentCount = countBefore - result.segmentsRemoved
            const kept = new Set(expected.map((r) => r.offset))
            const removed = appended.filter((r) => !kept.has(r.offset))
            const segmentOf = (offset: bigint) => segmentBases.filter((base) => base <= offset).length
            expect(result).toEqual({
              segmentsCleaned: new Set(removed.map((r) => segmentOf(r.offset))).size,
              recordsRemoved: removed.length,
              bytesBefore: result.bytesBefore,
              bytesAfter: result.bytesBefore - (sizeBytes - log.sizeBytes),
              segmentsRemoved: result.segmentsRemoved,
            })
            await check()
            expect(await log.compact()).toEqual(NOTHING)
            await check()

            await log.close()
            log = await open(config, at)
            await check()
            expect(await log.compact()).toEqual(NOTHING)
          } finally {
            await log.close()
            rmSync(at, { recursive: true, force: true })
          }
        },
      ),
      { numRuns: 100 },
    )
    // The generator must make logs where compaction has work to do, cleaning and merging.
    expect(segmentsCleaned).toBeGreaterThan(100)
    expect(segmentsRemoved).toBeGreaterThan(100)
  })

  it('re-encodes a partly kept batch at its offsets with its header fields, copies a whole one, merges small segments, removes an emptied one', async () => {
    const log = await open({ segmentBytes: 1 << 20 })
    const producer = { producerId: 7n, producerEpoch: 2, baseSequence: 40, compression: 'gzip' as const }
    const records = [
      { key: 'x', value: 'x1', timestamp: 9_100 },
      { key: 'y', value: 'y1', timestamp: 9_200, headers: [{ key: 'h', value: 'v' }] },
      { key: 'x', value: 'x2', timestamp: 9_300 },
    ]
    const partly = await append(log, records, producer, 3)
    const whole = await append(log, [{ key: 'z', value: 'z1', timestamp: 9_400 }])
    await log.roll()
    const x3 = await append(log, [{ key: 'x', value: 'x3', timestamp: 9_500 }])
    await log.roll()
    await append(log, [{ key: 'q', value: 'q1', timestamp: 9_600 }])
    await log.roll()
    const newest = await append(log, [{ key: 'q', value: 'q2', timestamp: 9_700 }])
    const segmentFiles = log.segmentsForMaintenance().map((s) => s.file)

    const result = await log.compact()
    // Segment 2 (q1) is emptied and removed; segments 0 and 1 are merged into segment 0.
    expect(result).toMatchObject({ segmentsCleaned: 2, recordsRemoved: 3, segmentsRemoved: 2 })
    expect(log.segmentsForMaintenance().map((s) => s.baseOffset)).toEqual([0n, 6n])

    const firstSegment = readFileSync(segmentFiles[0])
    const cleaned = readBatchHeader(firstSegment, 0)
    const original = readBatchHeader(partly.batch, 0)
    expect(cleaned).toEqual({
      ...original,
      batchLength: cleaned.batchLength,
      sizeInBytes: cleaned.sizeInBytes,
      crc: cleaned.crc,
      recordCount: 1,
      baseTimestamp: 9_200,
      maxTimestamp: 9_200,
    })
    expect(cleaned).toMatchObject({ baseOffset: 0n, lastOffset: 2n, partitionLeaderEpoch: 3, producerId: 7n, compression: 'gzip' })
    expect(firstSegment.subarray(cleaned.sizeInBytes)).toEqual(Buffer.concat([whole.batch, x3.batch]))
    expect(existsSync(segmentFiles[1]) || existsSync(segmentFiles[2])).toBe(false)
    expect(log.logStartOffset).toBe(0n)
    expect(log.segmentsForMaintenance()[0].indexesRebuilt).toMatch(/missing .*00000000000000000000\.index/)

    const survivors = [partly.records[1], whole.records[0], x3.records[0], newest.records[0]]
    expect(await readFrom(log, 0n)).toEqual(survivors)
    expect(await readFrom(log, 5n)).toEqual([newest.records[0]])
    expect(await log.offsetForTimestamp(9_550)).toBe(6n)
    await log.close()
    const reopened = await open({ segmentBytes: 1 << 20 })
    expect(await readFrom(reopened, 0n, 1)).toEqual(survivors)
    expect(await reopened.offsetForTimestamp(9_250)).toBe(3n)
    await reopened.close()
  })

  it('removes a tombstone only once deleteRetentionMs old, and the values it deleted with it', async () => {
    const log = await open({ segmentBytes: 1 << 20 })
    await append(log, [{ key: 'old', value: 'v', timestamp: 1 }, { key: 'fresh', value: 'v', timestamp: 2 }])
    const tombstones = await append(log, [
      { key: 'old', value: null, timestamp: NOW - DELETE_RETENTION_MS },
      { key: 'fresh', value: null, timestamp: NOW - DELETE_RETENTION_MS + 1 },
    ])
    await log.roll()
    await append(log, [{ key: 'other', value: 'v', timestamp: NOW }])
    expect(await log.compact()).toMatchObject({ segmentsCleaned: 1, recordsRemoved: 3 })
    expect(await readFrom(log, 0n)).toEqual([tombstones.records[1], expect.objectContaining({ key: 'other' })])
    await log.close()
  })

  it('keeps records with a null key, and batches whose records it cannot re-encode, as they are', async () => {
    const log = await open({ segmentBytes: 1 << 20 })
    await append(log, [{ key: null, value: 'n1', timestamp: 1 }, { key: null, value: null, timestamp: 1 }])
    // Both records at offset delta 0 (a producer bug the log does not look for): kept whole.
    const irregular = encodeTestBatch([{ key: 'a', value: 'a1', timestamp: 1 }, { key: 'a', value: 'a2', timestamp: 1 }])
    const secondRecord = RECORDS_AT + 1 + irregular[RECORDS_AT] / 2 // after the first's length byte and body
    irregular[secondRecord + 3] = 0 // after its length, attributes and timestampDelta bytes
    irregular.writeUInt32BE(crc32cOfRange(irregular, ATTRIBUTES_AT, irregular.length), CRC_AT)
    await log.append(irregular)
    expect(recordsIn(irregular).map((r) => r.offset)).toEqual([2n, 2n])
    await log.roll()
    await append(log, [{ key: 'a', value: 'a3', timestamp: 1 }])
    await log.flush() // the roll's flush moves the recovery point checkpoint: not compaction's doing
    const files = readDirectoryFiles(dir)
    expect(await log.compact()).toEqual(NOTHING)
    expect(readDirectoryFiles(dir)).toEqual(files)
    await log.close()
  })

  it('names the segment file and the batch position when a batch with a good CRC holds bad records', async () => {
    const log = await open({ segmentBytes: 1 << 20 })
    const first = await append(log, [{ key: 'a', value: 'a1', timestamp: 1 }])
    const bad = encodeTestBatch([{ key: 'b', value: 'b1', timestamp: 1 }])
    bad[RECORDS_AT + 4] = 0x7e // the key length: far more bytes than the record has
    bad.writeUInt32BE(crc32cOfRange(bad, ATTRIBUTES_AT, bad.length), CRC_AT)
    await log.append(bad)
    await log.roll()
    await append(log, [{ key: 'a', value: 'a2', timestamp: 1 }])
    const file = log.segmentsForMaintenance()[0].file
    const error = await log.compact().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptRecordBatchError)
    expect(error).toMatchObject({ file, position: first.batch.length })
    expect(swapLeftovers(dir)).toEqual([])
    await log.close()
  })

  it('does nothing under the delete policy, and retention does nothing under compact', async () => {
    for (const cleanupPolicy of ['delete', 'compact'] as const) {
      const at = mkdtempSync(join(dir, `${cleanupPolicy}-`))
      const log = await open({ segmentBytes: 1 << 20, cleanupPolicy, retentionMs: 1, retentionBytes: 0 }, at)
      for (let i = 0; i < 3; i++) {
        await append(log, [{ key: 'k', value: null, timestamp: i }])
        await log.roll()
      }
      await log.flush() // the rolls' flushes move the recovery point checkpoint: not compaction's doing
      const files = readDirectoryFiles(at)
      if (cleanupPolicy === 'delete') {
        expect(await log.compact()).toEqual(NOTHING)
        expect(readDirectoryFiles(at)).toEqual(files)
      } else {
        expect(await log.applyRetention()).toEqual({ deletedSegments: 0, logStartOffset: 0n })
        expect(await log.compact()).toMatchObject({ segmentsCleaned: 3, recordsRemoved: 3 })
      }
      await log.close()
    }
  })

  it('changes nothing when run twice', async () => {
    const log = await open({ segmentBytes: 200 })
    for (let i = 0; i < 40; i++) await append(log, [{ key: `k${i % 4}`, value: i % 7 === 0 ? null : `v${i}`, timestamp: NOW - 1_500 + i * 50 }])
    const first = await log.compact()
    expect(first.segmentsCleaned).toBeGreaterThan(0)
    const files = readDirectoryFiles(dir)
    expect(await log.compact()).toEqual(NOTHING)
    expect(readDirectoryFiles(dir)).toEqual(files)
    await log.close()
  })
})
