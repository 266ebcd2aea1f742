// ProducerStateManager: the sequence rules one by one, then snapshots, replay, corruption and truncation on a real Log.
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { Log } from './log.js'
import { incrementSequence, snapshotFileName } from './producer-state-snapshot.js'
import { checkSequence, nextSequence, ProducerStateManager, type SequenceCheck } from './producer-state.js'
import { encodeRecordBatch } from './record-batch/encoder.js'

const INT32_MAX = 2 ** 31 - 1
const logs: Log[] = []
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close()
})

const openLog = async (dir: string, config = {}) => {
  const log = await Log.open(dir, { flush: 'os', ...config })
  logs.push(log)
  return log
}
const fresh = async (config = {}) => {
  const dir = tempDir('pstate')
  const log = await openLog(dir, config)
  return { dir, log, psm: await ProducerStateManager.load(dir, log) }
}
const reopen = async (dir: string, log: Log, config = {}) => {
  await log.close()
  const reopened = await openLog(dir, config)
  return { log: reopened, psm: await ProducerStateManager.load(dir, reopened) }
}

const batch = (producerId: bigint, producerEpoch: number, baseSequence: number, count = 1, valueBytes = 8) =>
  encodeRecordBatch(
    Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.alloc(valueBytes, i), timestamp: 1_000 + baseSequence + i })),
    { producerId, producerEpoch, baseSequence },
  )

/** What the partition actor does: check, and append only what the check allows. */
const send = (log: Log, psm: ProducerStateManager, producerId: bigint, epoch: number, seq: number, count = 1): SequenceCheck => {
  const bytes = batch(producerId, epoch, seq, count)
  const result = psm.checkBatch(bytes)
  if (result.kind === 'append') {
    log.appendUnflushed(bytes)
    psm.onAppendBatch(bytes)
  }
  return result
}

const P = 4_000_000_000n

describe('sequence rules', () => {
  it('always appends batches without a producer id and keeps no state for them', async () => {
    const { log, psm } = await fresh()
    for (let i = 0; i < 3; i++) expect(send(log, psm, -1n, -1, -1)).toEqual({ kind: 'append' })
    expect(psm.check(-1n, 7, 99, 0)).toEqual({ kind: 'append' })
    expect([psm.producerCount, log.logEndOffset]).toEqual([0, 3n])
  })

  it('takes an unknown producer only from sequence 0', async () => {
    const { log, psm } = await fresh()
    expect(psm.check(P, 0, 5, 0)).toEqual({ kind: 'out-of-order', expectedSequence: 0, receivedSequence: 5 })
    expect(send(log, psm, P, 0, 0, 3)).toEqual({ kind: 'append' })
    expect(psm.producer(P)).toEqual({
      producerId: P,
      producerEpoch: 0,
      lastSeq: 2,
      lastOffset: 2n,
      lastTimestamp: 1_002,
      batches: [{ firstSeq: 0, lastSeq: 2, firstOffset: 0n, lastOffset: 2n, maxTimestamp: 1_002 }],
    })
  })

  it('wants the sequence after the newest batch, refusing gaps and going back', async () => {
    const { log, psm } = await fresh()
    send(log, psm, P, 0, 0, 2)
    expect(psm.check(P, 0, 3, 0)).toEqual({ kind: 'out-of-order', expectedSequence: 2, receivedSequence: 3 })
    expect(psm.check(P, 0, 1, 0)).toEqual({ kind: 'out-of-order', expectedSequence: 2, receivedSequence: 1 })
    expect(send(log, psm, P, 0, 2, 4)).toEqual({ kind: 'append' })
    expect(psm.check(P, 0, 6, 0)).toEqual({ kind: 'append' })
  })

  it('wraps sequences from 2^31-1 to 0', async () => {
    expect(incrementSequence(INT32_MAX, 1)).toBe(0)
    expect(incrementSequence(INT32_MAX - 1, 3)).toBe(1)
    expect(incrementSequence(5, 3)).toBe(8)
    expect(nextSequence(INT32_MAX)).toBe(0)
    const { psm } = await fresh()
    psm.onAppend(P, 1, INT32_MAX - 2, 4, 10n, 5)
    expect(psm.producer(P)!.lastSeq).toBe(1)
    expect(psm.check(P, 1, INT32_MAX - 2, 4)).toEqual({ kind: 'duplicate', baseOffset: 10n, lastOffset: 14n })
    expect(psm.check(P, 1, 2, 0)).toEqual({ kind: 'append' })
    psm.onAppend(P, 1, 2, INT32_MAX - 2, 15n, 5)
    expect(psm.check(P, 1, 0, 0)).toEqual({ kind: 'append' })
    expect(psm.check(P, 1, INT32_MAX, 0)).toEqual({ kind: 'out-of-order', expectedSequence: 0, receivedSequence: INT32_MAX })
  })

  it('fences an epoch older than the current one, even for a retry', async () => {
    const { log, psm } = await fresh()
    send(log, psm, P, 3, 0)
    expect(psm.check(P, 2, 0, 0)).toEqual({ kind: 'fenced', currentEpoch: 3 })
    expect(psm.check(P, 2, 1, 0)).toEqual({ kind: 'fenced', currentEpoch: 3 })
  })

  it('starts a new epoch at sequence 0 only, forgetting the old epoch batches', async () => {
    const { log, psm } = await fresh()
    send(log, psm, P, 0, 0, 2)
    send(log, psm, P, 0, 2, 2)
    expect(psm.check(P, 1, 4, 0)).toEqual({ kind: 'out-of-order', expectedSequence: 0, receivedSequence: 4 })
    expect(send(log, psm, P, 1, 0, 2)).toEqual({ kind: 'append' })
    expect(psm.producer(P)).toMatchObject({ producerEpoch: 1, lastSeq: 1, batches: [{ firstSeq: 0, firstOffset: 4n }] })
    expect(psm.check(P, 1, 2, 1)).toEqual({ kind: 'append' })
    expect(psm.check(P, 0, 2, 1)).toEqual({ kind: 'fenced', currentEpoch: 1 })
  })

  it('answers a retry of each of the last 5 batches with its offsets; a 6th-back retry is out of order', async () => {
    const { log, psm } = await fresh()
    const sent: Array<{ seq: number; count: number; base: bigint }> = []
    let seq = 0
    for (let i = 0; i < 8; i++) {
      const count = (i % 3) + 1
      sent.push({ seq, count, base: log.logEndOffset })
      expect(send(log, psm, P, 0, seq, count)).toEqual({ kind: 'append' })
      seq += count
    }
    const end = log.logEndOffset
    for (const [back, b] of sent.slice().reverse().entries()) {
      const expected: SequenceCheck =
        back < 5
          ? { kind: 'duplicate', baseOffset: b.base, lastOffset: b.base + BigInt(b.count - 1) }
          : { kind: 'out-of-order', expectedSequence: seq, receivedSequence: b.seq }
      expect(send(log, psm, P, 0, b.seq, b.count)).toEqual(expected)
    }
    expect(log.logEndOffset).toBe(end)
    // Same first sequence, different length: not that batch.
    const last = sent[sent.length - 1]!
    expect(psm.check(P, 0, last.seq, last.count)).toMatchObject({ kind: 'out-of-order' })
    expect(psm.producer(P)!.batches.map((b) => b.firstSeq)).toEqual(sent.slice(3).map((b) => b.seq))
  })

  it('keeps producers apart and bounds each to 5 batches', async () => {
    const { log, psm } = await fresh()
    for (let i = 0; i < 20; i++) {
      expect(send(log, psm, 1n, 0, i)).toEqual({ kind: 'append' })
      expect(send(log, psm, 2n, 5, i)).toEqual({ kind: 'append' })
    }
    expect(psm.producerCount).toBe(2)
    expect(psm.producer(1n)!.batches).toHaveLength(5)
    expect(psm.producer(2n)).toMatchObject({ producerEpoch: 5, lastSeq: 19, lastOffset: 39n })
    expect(psm.producer(3n)).toBeUndefined()
    expect(psm.allProducers().map((p) => p.producerId)).toEqual([1n, 2n])
  })

  it('reads the header of a batch in the middle of a buffer', async () => {
    const { log, psm } = await fresh()
    const first = batch(-1n, -1, -1, 2)
    const second = batch(P, 0, 0, 3)
    const both = Buffer.concat([first, second])
    expect(psm.checkBatch(both, first.length)).toEqual({ kind: 'append' })
    log.appendUnflushed(both)
    psm.onAppendBatch(both, first.length)
    expect(psm.producer(P)!.batches).toEqual([{ firstSeq: 0, lastSeq: 2, firstOffset: 2n, lastOffset: 4n, maxTimestamp: 1_002 }])
  })

  it('decides purely from an entry', () => {
    const entry = { producerEpoch: 2, batches: [{ firstSeq: 7, lastSeq: 9, firstOffset: 40n, lastOffset: 42n, maxTimestamp: 0 }] }
    expect(checkSequence(undefined, 0, 0, 3)).toEqual({ kind: 'append' })
    expect(checkSequence(entry, 2, 7, 2)).toEqual({ kind: 'duplicate', baseOffset: 40n, lastOffset: 42n })
    expect(checkSequence(entry, 2, 10, 0)).toEqual({ kind: 'append' })
    expect(checkSequence({ producerEpoch: 2, batches: [] }, 2, 1, 0)).toMatchObject({ kind: 'out-of-order', expectedSequence: 0 })
  })
})

describe('snapshots and replay', () => {
  const fill = (log: Log, psm: ProducerStateManager, rounds: number, from = 0) => {
    for (let i = from; i < from + rounds; i++) {
      send(log, psm, 1n, 0, i * 2, 2)
      send(log, psm, -1n, -1, -1)
      send(log, psm, 2n + BigInt(i % 2), 1, Math.floor(i / 2))
    }
  }

  it('round-trips through a snapshot, replaying only what came after it', async () => {
    const { dir, log, psm } = await fresh({ segmentBytes: 400 })
    fill(log, psm, 6)
    await psm.takeSnapshot(log.logEndOffset)
    expect(readdirSync(dir)).toContain(snapshotFileName(log.logEndOffset))
    const atSnapshot = psm.allProducers()
    let reopened = await reopen(dir, log, { segmentBytes: 400 })
    expect(reopened.psm.allProducers()).toEqual(atSnapshot)
    expect(reopened.psm.lastLoad).toMatchObject({ snapshotOffset: reopened.log.logEndOffset, replayedBatches: 0 })

    fill(reopened.log, reopened.psm, 4, 6)
    const after = reopened.psm.allProducers()
    const snapshotOffset = reopened.psm.lastLoad.snapshotOffset
    reopened = await reopen(dir, reopened.log, { segmentBytes: 400 })
    expect(reopened.psm.allProducers()).toEqual(after)
    expect(reopened.psm.lastLoad).toMatchObject({ snapshotOffset, replayedBatches: 12, discardedSnapshots: [] })
  })

  it('rebuilds from the log alone when there is no snapshot, across segments', async () => {
    const { dir, log, psm } = await fresh({ segmentBytes: 300 })
    fill(log, psm, 10)
    expect(log.segmentCount).toBeGreaterThan(3)
    const before = psm.allProducers()
    const reopened = await reopen(dir, log, { segmentBytes: 300 })
    expect(reopened.psm.allProducers()).toEqual(before)
    expect(reopened.psm.lastLoad).toMatchObject({ snapshotOffset: undefined, replayedFromOffset: 0n, replayedBatches: 30 })
  })

  it('keeps the newest 2 snapshots and removes a half-written one', async () => {
    const { dir, log, psm } = await fresh()
    const taken: bigint[] = []
    for (let i = 0; i < 4; i++) {
      fill(log, psm, 1, i)
      await psm.takeSnapshot(log.logEndOffset)
      taken.push(log.logEndOffset)
    }
    const snapshots = () => readdirSync(dir).filter((name) => name.includes('.snapshot')).sort()
    const newestTwo = taken.slice(2).map(snapshotFileName)
    expect(snapshots()).toEqual(newestTwo)
    writeFileSync(join(dir, newestTwo[1] + '.tmp'), 'partial')
    await reopen(dir, log)
    expect(snapshots()).toEqual(newestTwo)
  })

  it('writes no new snapshot while nothing changed', async () => {
    const { dir, log, psm } = await fresh()
    fill(log, psm, 1)
    await psm.takeSnapshot(log.logEndOffset)
    const file = join(dir, snapshotFileName(log.logEndOffset))
    const inode = statSync(file).ino
    await psm.takeSnapshot(log.logEndOffset)
    expect(statSync(file).ino).toBe(inode)
    send(log, psm, -1n, -1, -1)
    await psm.takeSnapshot(log.logEndOffset)
    expect(readdirSync(dir)).toContain(snapshotFileName(log.logEndOffset))
  })

  it('refuses a snapshot that would claim batches at or past its offset', async () => {
    const { log, psm } = await fresh()
    send(log, psm, P, 0, 0, 3)
    await expect(psm.takeSnapshot(2n)).rejects.toThrow(RangeError)
  })

  for (const damage of ['torn', 'flipped', 'empty'] as const) {
    it(`ignores and deletes a ${damage} snapshot, falling back to the older one and the log`, async () => {
      const { dir, log, psm } = await fresh()
      fill(log, psm, 3)
      await psm.takeSnapshot(log.logEndOffset)
      const older = log.logEndOffset
      fill(log, psm, 3, 3)
      await psm.takeSnapshot(log.logEndOffset)
      const newest = join(dir, snapshotFileName(log.logEndOffset))
      const before = psm.allProducers()
      await log.close()
      if (damage === 'torn') truncateSync(newest, readFileSync(newest).length - 7)
      if (damage === 'empty') truncateSync(newest, 0)
      if (damage === 'flipped') {
        const bytes = readFileSync(newest)
        bytes[30] ^= 0x10
        writeFileSync(newest, bytes)
      }
      const reopened = await openLog(dir)
      const loaded = await ProducerStateManager.load(dir, reopened)
      expect(loaded.allProducers()).toEqual(before)
      expect(loaded.lastLoad.snapshotOffset).toBe(older)
      expect(loaded.lastLoad.discardedSnapshots.map((e) => e._tag)).toEqual(['CorruptProducerSnapshotError'])
      expect(loaded.lastLoad.discardedSnapshots[0]!.message).toContain(newest)
      expect(readdirSync(dir)).not.toContain(snapshotFileName(reopened.logEndOffset))
    })
  }

  it('deletes snapshots above the log end and rebuilds what the log still holds', async () => {
    const { dir, log, psm } = await fresh()
    fill(log, psm, 2)
    const kept = psm.allProducers()
    const cut = log.logEndOffset
    fill(log, psm, 2, 2)
    await psm.takeSnapshot(log.logEndOffset)
    // As after a crash that lost the log's unsynced tail but not the fsynced snapshot.
    await log.truncateTo(cut)
    const reopened = await reopen(dir, log)
    expect(reopened.psm.allProducers()).toEqual(kept)
    expect(readdirSync(dir).filter((name) => name.endsWith('.snapshot'))).toEqual([])
  })

  it('rebuilds the state after Log.truncateTo: truncated batches are neither duplicates nor expected', async () => {
    const { dir, log, psm } = await fresh({ segmentBytes: 300 })
    for (let i = 0; i < 3; i++) send(log, psm, P, 0, i * 2, 2)
    await psm.takeSnapshot(log.logEndOffset)
    const kept = psm.allProducers()
    for (let i = 3; i < 6; i++) send(log, psm, P, 0, i * 2, 2)
    await psm.takeSnapshot(log.logEndOffset)
    await log.truncateTo(7n) // the batch [6, 7] goes too: batches are atomic
    await psm.truncateTo(7n, log)
    expect(log.logEndOffset).toBe(6n)
    expect(psm.allProducers()).toEqual(kept)
    expect(psm.check(P, 0, 6, 1)).toEqual({ kind: 'append' })
    expect(psm.check(P, 0, 10, 1)).toEqual({ kind: 'out-of-order', expectedSequence: 6, receivedSequence: 10 })
    expect(readdirSync(dir).filter((name) => name.endsWith('.snapshot'))).toEqual([snapshotFileName(6n)])

    await log.truncateTo(3n)
    await psm.truncateTo(3n, log)
    expect(psm.producer(P)!.batches.map((b) => b.firstOffset)).toEqual([0n])
    expect(psm.lastLoad).toMatchObject({ snapshotOffset: undefined, replayedBatches: 1 })
  })

  it('keeps producers whose batches retention deleted when a snapshot still has them', async () => {
    const config = { segmentBytes: 200, retentionBytes: 300, retentionMs: -1 }
    const { dir, log, psm } = await fresh(config)
    send(log, psm, 1n, 0, 0)
    await psm.takeSnapshot(log.logEndOffset)
    for (let i = 0; i < 12; i++) send(log, psm, 2n, 0, i)
    await log.applyRetention()
    expect(log.logStartOffset).toBeGreaterThan(1n)
    const before = psm.producer(1n)
    const reopened = await reopen(dir, log, config)
    expect(reopened.psm.producer(1n)).toEqual(before)
    expect(reopened.psm.producer(2n)!.lastSeq).toBe(11)
    expect(reopened.psm.lastLoad).toMatchObject({ snapshotOffset: 1n, replayedFromOffset: reopened.log.logStartOffset })
  })

  it('forgets everything after a full truncation', async () => {
    const { dir, log, psm } = await fresh()
    fill(log, psm, 2)
    await psm.takeSnapshot(log.logEndOffset)
    await log.truncateFullyAndStartAt(100n)
    await psm.truncateFullyAndStartAt(100n)
    expect(psm.producerCount).toBe(0)
    expect(readdirSync(dir).filter((name) => name.endsWith('.snapshot'))).toEqual([])
  })
})
