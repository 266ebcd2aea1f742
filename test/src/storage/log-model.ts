/** The plain-array model of a partition log that the model-based test checks the real Log against. */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { batchSizeAt, baseOffsetAt, decodeRecords, lastOffsetAt, type Log } from '@rivulet/storage'
import { expect } from 'vitest'

export interface ModelRecord {
  readonly offset: bigint
  readonly key: string | null
  readonly value: string | null
  readonly timestamp: number
}

export interface ModelBatch {
  readonly baseOffset: bigint
  readonly lastOffset: bigint
  readonly sizeBytes: number
  readonly maxTimestamp: number
  readonly records: readonly ModelRecord[]
}

export interface LogModel {
  batches: ModelBatch[]
  logStartOffset: bigint
  logEndOffset: bigint
  /** Set once compaction ran: batches may have lost records and whole batches may be gone. */
  compacted: boolean
}

export interface RealLog {
  log: Log
  readonly dir: string
  readonly clock: { now: number }
  readonly reopen: () => Promise<void>
}

export const RETENTION_MS = 3_000
export const DELETE_RETENTION_MS = 1_000

/** Decodes every record from the log start to the end, batch after batch, as a consumer would. */
export const readWholeLog = async (log: Log, maxBytes: number): Promise<ModelRecord[]> => {
  const records: ModelRecord[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const { bytes } = await log.read(offset, { maxBytes })
    // Nothing at or after `offset` although it is below the end: compaction emptied the rest
    // (as in Kafka, such a fetch is empty until new records arrive). The caller compares with
    // the model, which then must hold no record from here on either.
    if (bytes.length === 0) break
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      const base = baseOffsetAt(bytes, at)
      for (const r of decodeRecords(bytes, at)) {
        const recordOffset = base + BigInt(r.offsetDelta)
        if (recordOffset < offset) continue
        records.push({
          offset: recordOffset,
          key: r.key === null ? null : r.key.toString(),
          value: r.value === null ? null : r.value.toString(),
          timestamp: r.timestamp,
        })
      }
      offset = lastOffsetAt(bytes, at) + 1n
    }
  }
  return records
}

export const modelRecords = (model: LogModel): ModelRecord[] => model.batches.flatMap((b) => b.records)

/** After every command: the log's bounds and every record it serves agree with the model, its descriptors are bounded. */
export const expectLogMatchesModel = async (real: RealLog, model: LogModel, maxBytes = 300): Promise<void> => {
  expect(real.log.logStartOffset).toBe(model.logStartOffset)
  expect(real.log.logEndOffset).toBe(model.logEndOffset)
  expect(await readWholeLog(real.log, maxBytes)).toEqual(modelRecords(model))
  // The active segment's three files, and closed segments' only as many as the cache allows.
  expect(real.log.openFileCount).toBeLessThanOrEqual(3 + real.log.fileCache.maxOpenFiles)
}

/** The active segment's file (the one with the highest base offset) and its base offset. */
export const activeSegmentFile = (dir: string): { file: string; baseOffset: bigint } => {
  const name = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .at(-1)!
  return { file: join(dir, name), baseOffset: BigInt(name.slice(0, 20)) }
}

/** Where each model batch of the active segment starts in its file. */
export const activeSegmentLayout = (dir: string, model: LogModel) => {
  const { file, baseOffset } = activeSegmentFile(dir)
  let position = 0
  const layout = model.batches
    .filter((b) => b.baseOffset >= baseOffset)
    .map((batch) => {
      const start = position
      position += batch.sizeBytes
      return { batch, start, end: position }
    })
  expect(statSync(file).size, 'active segment size as the model lays it out').toBe(position)
  return { file, baseOffset, layout }
}

/** Drops the model's batches from `firstLostBatch` on: what recovery cut from the active segment. */
export const cutModelAt = (model: LogModel, firstLostBatch: ModelBatch | undefined, activeBaseOffset: bigint): void => {
  if (firstLostBatch === undefined) return
  model.batches = model.batches.filter((b) => b.baseOffset < firstLostBatch.baseOffset)
  const last = model.batches.at(-1)
  model.logEndOffset = last !== undefined && last.baseOffset >= activeBaseOffset ? last.lastOffset + 1n : activeBaseOffset
}
