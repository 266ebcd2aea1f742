/** The commands of the log's model-based test: each runs on the real Log and on the model, then compares. */
import { readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { batchSizeAt, baseOffsetAt, encodeRecordBatch, lastOffsetAt, type Compression } from '@rivulet/storage'
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_FILE } from '@rivulet/storage/internal'
import type fc from 'fast-check'
import { expect } from 'vitest'
import {
  activeSegmentFile,
  activeSegmentLayout,
  DELETE_RETENTION_MS,
  readWholeLog,
  cutModelAt,
  expectLogMatchesModel,
  modelRecords,
  RETENTION_MS,
  type LogModel,
  type ModelRecord,
  type RealLog,
} from './log-model.js'

type LogCommand = fc.AsyncCommand<LogModel, RealLog>

/** The closed segments' sizes on disk, oldest first: no empty one but the first, no two that fit together. */
const expectClosedSegmentsMerged = (real: RealLog): void => {
  const sizes = readdirSync(real.dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .slice(0, -1)
    .map((name) => statSync(join(real.dir, name)).size)
  for (const [i, size] of sizes.entries()) {
    if (i > 0) expect(size, `closed segment ${i} is empty after compaction`).toBeGreaterThan(0)
    if (i + 1 < sizes.length) expect(size + sizes[i + 1]!, `closed segments ${i} and ${i + 1} fit in one`).toBeGreaterThan(real.log.config.segmentBytes)
  }
}

/** A number in [0, 1) picks a position inside whatever range exists when the command runs. */
const pick = (fraction: number, low: bigint, high: bigint): bigint =>
  low + BigInt(Math.floor(fraction * Number(high - low + 1n)))

export class AppendCommand implements LogCommand {
  constructor(
    readonly records: ReadonlyArray<{ key: string | null; value: string | null }>,
    readonly compression: Compression,
  ) {}
  check = () => true
  async run(model: LogModel, real: RealLog) {
    const timestamp = real.clock.now
    const bytes = encodeRecordBatch(
      this.records.map((r) => ({
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        timestamp,
      })),
      { compression: this.compression },
    )
    const sizeBytes = bytes.length
    const result = await real.log.append(bytes)
    const baseOffset = model.logEndOffset
    expect(result.baseOffset).toBe(baseOffset)
    const records: ModelRecord[] = this.records.map((r, i) => ({ offset: baseOffset + BigInt(i), ...r, timestamp }))
    const lastOffset = baseOffset + BigInt(records.length - 1)
    model.batches.push({ baseOffset, lastOffset, sizeBytes, maxTimestamp: timestamp, records })
    model.logEndOffset = lastOffset + 1n
    expect(result.lastOffset).toBe(lastOffset)
    await expectLogMatchesModel(real, model)
  }
  toString = () => `append(${this.records.length} records, ${this.compression})`
}

export class ReadCommand implements LogCommand {
  constructor(
    readonly at: number,
    readonly maxBytes: number,
    readonly boundAt: number | undefined,
  ) {}
  check = () => true
  async run(model: LogModel, real: RealLog) {
    const offset = pick(this.at, model.logStartOffset, model.logEndOffset)
    const maxOffset = this.boundAt === undefined ? undefined : pick(this.boundAt, offset, model.logEndOffset)
    const { bytes } = await real.log.read(offset, { maxBytes: this.maxBytes, ...(maxOffset === undefined ? {} : { maxOffset }) })
    const holding = model.batches.find((b) => b.lastOffset >= offset)
    if (holding === undefined || (maxOffset !== undefined && holding.lastOffset >= maxOffset)) {
      expect(bytes.length).toBe(0)
      return
    }
    expect(bytes.length).toBeGreaterThan(0)
    expect(baseOffsetAt(bytes, 0)).toBe(holding.baseOffset)
    let batches = 0
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      batches++
      if (maxOffset !== undefined) expect(lastOffsetAt(bytes, at)).toBeLessThan(maxOffset)
    }
    if (batches > 1) expect(bytes.length).toBeLessThanOrEqual(this.maxBytes)
  }
  toString = () => `read(at ${this.at.toFixed(2)}, maxBytes ${this.maxBytes}, bound ${this.boundAt?.toFixed(2)})`
}

export class TruncateCommand implements LogCommand {
  constructor(readonly at: number) {}
  check = () => true
  async run(model: LogModel, real: RealLog) {
    const offset = pick(this.at, model.logStartOffset, model.logEndOffset)
    await real.log.truncateTo(offset)
    if (offset < model.logEndOffset) {
      model.batches = model.batches.filter((b) => b.lastOffset < offset)
      // Without compaction the new end is right after the last batch kept. Compaction can empty
      // whole batches, so the end may instead be the base of the segment truncation stopped in:
      // anywhere up to `offset`, as long as no record is kept there.
      const afterLastKept = (model.batches.at(-1)?.lastOffset ?? model.logStartOffset - 1n) + 1n
      expect(real.log.logEndOffset).toBeGreaterThanOrEqual(afterLastKept)
      expect(real.log.logEndOffset).toBeLessThanOrEqual(offset)
      if (!model.compacted) expect(real.log.logEndOffset).toBe(afterLastKept)
      model.logEndOffset = real.log.logEndOffset
    }
    await expectLogMatchesModel(real, model)
  }
  toString = () => `truncate(at ${this.at.toFixed(2)})`
}

export class RollCommand implements LogCommand {
  check = () => true
  async run(model: LogModel, real: RealLog) {
    await real.log.roll()
    await expectLogMatchesModel(real, model)
  }
  toString = () => 'roll'
}

export class RetentionCommand implements LogCommand {
  constructor(readonly advanceMs: number) {}
  check = () => true
  async run(model: LogModel, real: RealLog) {
    real.clock.now += this.advanceMs
    const { logStartOffset } = await real.log.applyRetention()
    expect(logStartOffset).toBeGreaterThanOrEqual(model.logStartOffset)
    const removed = model.batches.filter((b) => b.lastOffset < logStartOffset)
    for (const batch of removed) expect(real.clock.now - batch.maxTimestamp).toBeGreaterThan(RETENTION_MS)
    model.batches = model.batches.filter((b) => b.lastOffset >= logStartOffset)
    // Retention deletes whole segments, so what remains starts at or after the new start, and
    // right at it unless compaction emptied the first batches of that segment.
    expect(model.batches.every((b) => b.baseOffset >= logStartOffset)).toBe(true)
    if (!model.compacted) expect(model.batches[0]?.baseOffset ?? model.logEndOffset).toBe(logStartOffset)
    model.logStartOffset = logStartOffset
    await expectLogMatchesModel(real, model)
  }
  toString = () => `retention(+${this.advanceMs}ms)`
}

export class ReopenCommand implements LogCommand {
  check = () => true
  async run(model: LogModel, real: RealLog) {
    await real.reopen()
    expect(real.log.recovery).toBeUndefined()
    await expectLogMatchesModel(real, model)
  }
  toString = () => 'reopen'
}

/** A crash that tore the active segment's tail, or flipped one of its bytes; then recovery on open. */
export class CrashCommand implements LogCommand {
  constructor(
    readonly damage: 'cut' | 'flip',
    readonly at: number,
    readonly mask: number,
  ) {}
  check = () => true
  async run(model: LogModel, real: RealLog) {
    await real.log.close()
    const { file, baseOffset, layout } = activeSegmentLayout(real.dir, model)
    // No clean shutdown, and a recovery point at the active segment's base, as a crash before any
    // of it was flushed leaves them: all of it may be torn (damage below the recovery point, or
    // after a clean shutdown, is corruption instead: see packages/storage/src/log-integrity.test.ts).
    rmSync(join(real.dir, CLEAN_SHUTDOWN_FILE))
    writeFileSync(join(real.dir, RECOVERY_POINT_FILE), `0\n${baseOffset}\n`)
    const size = layout.at(-1)?.end ?? 0
    if (size > 0) {
      const position = Math.floor(this.at * size)
      const hit = layout.find((l) => l.end > position)!
      if (this.damage === 'cut') {
        truncateSync(file, position)
        cutModelAt(model, hit.batch, baseOffset)
      } else {
        const bytes = readFileSync(file)
        bytes[position]! ^= this.mask
        writeFileSync(file, bytes)
        // The partition leader epoch (bytes 12-15) is outside the CRC and outside what the model
        // compares: a flip there is invisible, exactly as in Kafka. Anything else loses the batch.
        const withinBatch = position - hit.start
        const invisible = withinBatch >= 12 && withinBatch < 16
        if (!invisible) cutModelAt(model, hit.batch, baseOffset)
      }
    }
    await real.reopen()
    await expectLogMatchesModel(real, model)
  }
  toString = () => `crash(${this.damage} at ${this.at.toFixed(3)}, mask ${this.mask})`
}

/** A lost or damaged index file: it is rebuilt from the log on open and nothing changes. */
export class DamageIndexCommand implements LogCommand {
  constructor(
    readonly which: number,
    readonly damage: 'delete' | 'odd-size' | 'garbage',
  ) {}
  check = () => true
  async run(model: LogModel, real: RealLog) {
    await real.log.close()
    const indexes = readdirSync(real.dir).filter((f) => f.endsWith('.index') || f.endsWith('.timeindex')).sort()
    const file = join(real.dir, indexes[Math.floor(this.which * indexes.length)]!)
    if (this.damage === 'delete') rmSync(file)
    else if (this.damage === 'odd-size') writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from([1, 2, 3])]))
    else writeFileSync(file, Buffer.alloc(24, 0xff))
    await real.reopen()
    await expectLogMatchesModel(real, model)
    if (!model.compacted) expect(modelRecords(model).length).toBe(Number(model.logEndOffset - model.logStartOffset))
  }
  toString = () => `damageIndex(${this.which.toFixed(2)}, ${this.damage})`
}

/**
 * Compaction: the model keeps what the log kept, after checking that each record it lost was
 * superseded by a later record with the same key, or was a tombstone past deleteRetentionMs, and
 * that nothing of the active segment and no keyless record was touched. Merges and removals of
 * segments must leave the log start, the log end and every kept record where they were (the
 * comparison with the model), and leave no empty closed segment but the first and no two closed
 * neighbours that fit in one segment.
 */
export class CompactCommand implements LogCommand {
  check = () => true
  async run(model: LogModel, real: RealLog) {
    const { baseOffset: activeBase } = activeSegmentFile(real.dir)
    await real.log.compact()
    const kept = new Set((await readWholeLog(real.log, 300)).map((r) => r.offset))
    const latestByKey = new Map<string, bigint>()
    for (const r of modelRecords(model)) if (r.key !== null) latestByKey.set(r.key, r.offset)
    for (const r of modelRecords(model)) {
      if (kept.has(r.offset)) continue
      expect(r.offset < activeBase, `record ${r.offset} of the active segment was removed`).toBe(true)
      expect(r.key, `keyless record ${r.offset} was removed`).not.toBeNull()
      const superseded = latestByKey.get(r.key!)! > r.offset
      const expiredTombstone = r.value === null && r.timestamp + DELETE_RETENTION_MS <= real.clock.now
      expect(superseded || expiredTombstone, `record ${r.offset} (key ${r.key}) was removed but is the latest`).toBe(true)
    }
    for (const [key, offset] of latestByKey) {
      const latest = modelRecords(model).find((r) => r.offset === offset)!
      if (latest.value !== null) expect(kept.has(offset), `latest record of key ${key} at ${offset} was removed`).toBe(true)
    }
    model.batches = model.batches
      .map((b) => ({ ...b, records: b.records.filter((r) => kept.has(r.offset)) }))
      .filter((b) => b.records.length > 0)
    model.compacted = true
    await expectLogMatchesModel(real, model)
    if (real.log.config.cleanupPolicy !== 'delete') expectClosedSegmentsMerged(real)
  }
  toString = () => 'compact'
}
