// `npm run bench -- storage`: appends 1,000,000 records of 100 bytes in batches of 1,000 to a fresh
// log and reads them all back, decoding every record. Rows: storage.append (flush by OS, encoding
// included), storage.read, storage.append-fsync (fsync before each append resolves).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { batchSizeAt, encodeRecordBatch, lastOffsetAt, Log, MiB, RecordCursor, type FlushPolicy, type RecordInput } from '@rivulet/storage'
import type { Row } from './lib/report.mjs'

const RECORDS = 1_000_000
const BATCH_RECORDS = 1_000
const VALUE_BYTES = 100
const PAYLOAD_BYTES = RECORDS * VALUE_BYTES

/** The records a producer would hand over: distinct 100-byte values, no key. */
const makeBatches = (): RecordInput[][] => {
  const batches: RecordInput[][] = []
  for (let b = 0; b < RECORDS / BATCH_RECORDS; b++) {
    const records: RecordInput[] = []
    for (let i = 0; i < BATCH_RECORDS; i++) {
      const value = Buffer.alloc(VALUE_BYTES, (b * BATCH_RECORDS + i) & 0xff)
      records.push({ key: null, value, timestamp: 1_700_000_000_000 + b })
    }
    batches.push(records)
  }
  return batches
}

const appendAll = async (dir: string, flush: FlushPolicy, batches: RecordInput[][], name: string): Promise<Row> => {
  const log = await Log.open(dir, { flush, segmentBytes: 256 * MiB })
  const latenciesMs: number[] = []
  const started = performance.now()
  for (const records of batches) {
    const t0 = performance.now()
    await log.append(encodeRecordBatch(records))
    latenciesMs.push(performance.now() - t0)
  }
  const seconds = (performance.now() - started) / 1000
  await log.close()
  return { name, records: RECORDS, seconds, bytes: PAYLOAD_BYTES, latenciesMs, note: `flush ${JSON.stringify(flush)}, batches of ${BATCH_RECORDS}` }
}

const readAll = async (dir: string): Promise<Row> => {
  const log = await Log.open(dir, { flush: 'os', segmentBytes: 256 * MiB })
  const latenciesMs: number[] = []
  let records = 0
  let valueBytes = 0
  let offset = log.logStartOffset
  const started = performance.now()
  while (offset < log.logEndOffset) {
    const t0 = performance.now()
    const { bytes } = await log.read(offset, { maxBytes: 1 * MiB })
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      const cursor = new RecordCursor(bytes, at)
      while (cursor.next()) {
        records++
        valueBytes += cursor.value === null ? 0 : cursor.value.length
      }
      offset = lastOffsetAt(bytes, at) + 1n
    }
    latenciesMs.push(performance.now() - t0)
  }
  const seconds = (performance.now() - started) / 1000
  await log.close()
  if (records !== RECORDS || valueBytes !== PAYLOAD_BYTES) throw new Error(`read ${records} records, ${valueBytes} bytes`)
  return { name: 'storage.read', records, seconds, bytes: valueBytes, latenciesMs, note: 'fetches of 1 MiB, every record decoded' }
}

export const run = async (): Promise<Row[]> => {
  const root = mkdtempSync(join(tmpdir(), 'rivulet-bench-storage-'))
  try {
    const batches = makeBatches()
    // Warm the encoder and the file system so the first row does not pay for JIT compilation.
    await appendAll(join(root, 'warmup'), 'os', batches.slice(0, 100), 'warmup')
    const append = await appendAll(join(root, 'os'), 'os', batches, 'storage.append')
    const read = await readAll(join(root, 'os'))
    const appendFsync = await appendAll(join(root, 'fsync'), 'every-batch', batches, 'storage.append-fsync')
    return [append, read, appendFsync]
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
