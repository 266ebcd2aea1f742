/** Helpers for partition and broker tests: batches to produce, records out of fetched bytes, temp dirs. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { batchSizeAt, decodeRecords, encodeRecordBatch, readBatchHeader } from '@rivulet/storage'

/** A plain (not idempotent) batch with one record per value. */
export const batchOf = (values: readonly string[], timestamp = 1_700_000_000_000): Buffer =>
  encodeRecordBatch(
    values.map((value) => ({ key: null, value: Buffer.from(value) })),
    { now: timestamp },
  )

/** An idempotent producer's batch: `values.length` records from `baseSequence` on. */
export const idempotentBatch = (
  producerId: bigint,
  baseSequence: number,
  values: readonly string[],
  producerEpoch = 0,
): Buffer =>
  encodeRecordBatch(
    values.map((value) => ({ key: null, value: Buffer.from(value) })),
    { producerId, producerEpoch, baseSequence, now: 1_700_000_000_000 },
  )

export interface FetchedRecord {
  readonly offset: bigint
  readonly value: string
  readonly producerId: bigint
}

/** Every record in fetched bytes (whole batches), in log order. */
export const recordsIn = (bytes: Buffer): FetchedRecord[] => {
  const records: FetchedRecord[] = []
  for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
    const header = readBatchHeader(bytes, at)
    for (const record of decodeRecords(bytes, at)) {
      records.push({
        offset: header.baseOffset + BigInt(record.offsetDelta),
        value: record.value === null ? '' : record.value.toString(),
        producerId: header.producerId,
      })
    }
  }
  return records
}

/** A fresh directory under the OS temp dir, and its removal. */
export const tempDir = (prefix: string): { readonly dir: string; readonly remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), `rivulet-${prefix}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
