// `npm run bench -- storage`: 1,000,000 records of 100 bytes in batches of 1,000, each row beside
// a baseline doing the same work by a simpler path, in the same run (three rounds, alternating):
// - codec.encode (encodeRecordBatch) beside codec.encode-kafkajs (KafkaJS's encoder, same records);
// - storage.append (encode and append to a fresh log, flush by OS) beside fs.writeSync (encode
//   and write the same bytes to one file with writeSync, no fsync);
// - storage.read (fetches of 1 MiB, every record decoded) beside fs.readSync (that file read in
//   1 MiB reads, every record decoded the same way);
// - storage.append-fsync (fsync before each append resolves) beside fs.writeSync-fdatasync
//   (fdatasyncSync after each writeSync, which is what the log's sync does for an append).
import { closeSync, fdatasyncSync, fstatSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { batchSizeAt, encodeRecordBatch, lastOffsetAt, Log, MiB, RecordCursor, type FlushPolicy, type RecordInput } from '@rivulet/storage'
import { encodeWithKafkaJs } from './lib/kafkajs-codec.mjs'
import type { Row } from './lib/report.mjs'
import { medianOfRounds } from './lib/rounds.mjs'

const RECORDS = 1_000_000
const BATCH_RECORDS = 1_000
const VALUE_BYTES = 100
const PAYLOAD_BYTES = RECORDS * VALUE_BYTES
const ROUNDS = 3
const BATCHES_NOTE = `batches of ${BATCH_RECORDS}`

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

const timed = async (work: () => Promise<void> | void): Promise<number> => {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

const encodeRivulet = async (batches: RecordInput[][]): Promise<Row> => {
  let bytes = 0
  const seconds = await timed(() => {
    for (const records of batches) bytes += encodeRecordBatch(records).length
  })
  return { name: 'codec.encode', records: RECORDS, seconds, bytes: PAYLOAD_BYTES, baseline: 'codec.encode-kafkajs', note: `${BATCHES_NOTE}, ${bytes} bytes encoded` }
}

const encodeKafkaJs = async (batches: RecordInput[][]): Promise<Row> => {
  let bytes = 0
  const seconds = await timed(async () => {
    for (const records of batches) bytes += (await encodeWithKafkaJs(records as { key: Buffer | null; value: Buffer; timestamp: number }[])).length
  })
  return { name: 'codec.encode-kafkajs', records: RECORDS, seconds, bytes: PAYLOAD_BYTES, note: `baseline: KafkaJS 2.2.4 RecordBatch, ${BATCHES_NOTE}, ${bytes} bytes encoded` }
}

const appendAll = async (dir: string, flush: FlushPolicy, batches: RecordInput[][], name: string, baseline: string): Promise<Row> => {
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
  return { name, records: RECORDS, seconds, bytes: PAYLOAD_BYTES, latenciesMs, baseline, note: `flush ${JSON.stringify(flush)}, ${BATCHES_NOTE}` }
}

/** The baseline of an append: the same encoding and bytes written to one file, no log around them. */
const writeAll = (file: string, fdatasync: boolean, batches: RecordInput[][], name: string): Row => {
  const fd = openSync(file, 'w')
  const latenciesMs: number[] = []
  const started = performance.now()
  for (const records of batches) {
    const t0 = performance.now()
    writeSync(fd, encodeRecordBatch(records))
    if (fdatasync) fdatasyncSync(fd)
    latenciesMs.push(performance.now() - t0)
  }
  const seconds = (performance.now() - started) / 1000
  closeSync(fd)
  return { name, records: RECORDS, seconds, bytes: PAYLOAD_BYTES, latenciesMs, note: `baseline: writeSync${fdatasync ? ' + fdatasyncSync' : ''} per batch, ${BATCHES_NOTE}` }
}

/** Decodes every record of the whole batches in `bytes[from, to)`; returns where the first incomplete one starts. */
const decodeBatches = (bytes: Buffer, from: number, to: number, counts: { records: number; valueBytes: number }): number => {
  let at = from
  while (at + 12 <= to && at + batchSizeAt(bytes, at) <= to) {
    const cursor = new RecordCursor(bytes, at)
    while (cursor.next()) {
      counts.records++
      counts.valueBytes += cursor.value === null ? 0 : cursor.value.length
    }
    at += batchSizeAt(bytes, at)
  }
  return at
}

const checkCounts = (name: string, counts: { records: number; valueBytes: number }): void => {
  if (counts.records !== RECORDS || counts.valueBytes !== PAYLOAD_BYTES) throw new Error(`${name}: read ${counts.records} records, ${counts.valueBytes} bytes`)
}

const readAll = async (dir: string): Promise<Row> => {
  const log = await Log.open(dir, { flush: 'os', segmentBytes: 256 * MiB })
  const latenciesMs: number[] = []
  const counts = { records: 0, valueBytes: 0 }
  let offset = log.logStartOffset
  const started = performance.now()
  while (offset < log.logEndOffset) {
    const t0 = performance.now()
    const { bytes } = await log.read(offset, { maxBytes: 1 * MiB })
    decodeBatches(bytes, 0, bytes.length, counts)
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) offset = lastOffsetAt(bytes, at) + 1n
    latenciesMs.push(performance.now() - t0)
  }
  const seconds = (performance.now() - started) / 1000
  await log.close()
  checkCounts('storage.read', counts)
  return { name: 'storage.read', records: RECORDS, seconds, bytes: PAYLOAD_BYTES, latenciesMs, baseline: 'fs.readSync', note: 'fetches of 1 MiB, every record decoded' }
}

/**
 * The baseline of a read: the file written by writeAll, read in 1 MiB reads into one reused
 * buffer (the tail of a batch cut by a read moves to its front) and decoded the same way.
 */
const readFile = (file: string): Row => {
  const fd = openSync(file, 'r')
  const size = fstatSync(fd).size
  const buffer = Buffer.allocUnsafe(2 * MiB)
  const latenciesMs: number[] = []
  const counts = { records: 0, valueBytes: 0 }
  let position = 0
  let held = 0
  const started = performance.now()
  while (position < size) {
    const t0 = performance.now()
    const read = readSync(fd, buffer, held, Math.min(1 * MiB, size - position), position)
    position += read
    const end = held + read
    const decoded = decodeBatches(buffer, 0, end, counts)
    buffer.copyWithin(0, decoded, end)
    held = end - decoded
    if (held > 1 * MiB) throw new Error(`fs.readSync: a batch of more than 1 MiB at ${position - held}`)
    latenciesMs.push(performance.now() - t0)
  }
  const seconds = (performance.now() - started) / 1000
  closeSync(fd)
  checkCounts('fs.readSync', counts)
  return { name: 'fs.readSync', records: RECORDS, seconds, bytes: PAYLOAD_BYTES, latenciesMs, note: 'baseline: readSync of 1 MiB at a time into one buffer, every record decoded' }
}

export const run = async (): Promise<Row[]> => {
  const root = mkdtempSync(join(tmpdir(), 'rivulet-bench-storage-'))
  try {
    const batches = makeBatches()
    // Warm the encoders, the log and the file system so the first round does not pay for JIT compilation.
    const warm = batches.slice(0, 100)
    await appendAll(join(root, 'warmup'), 'os', warm, 'warmup', 'warmup')
    writeAll(join(root, 'warmup.raw'), false, warm, 'warmup')
    for (const records of warm) await encodeWithKafkaJs(records as { key: null; value: Buffer; timestamp: number }[])
    return await medianOfRounds(ROUNDS, async (round) => {
      const dir = join(root, `round-${round}`)
      mkdirSync(dir)
      const rows = [await encodeKafkaJs(batches), await encodeRivulet(batches)]
      rows.push(writeAll(join(dir, 'raw.log'), false, batches, 'fs.writeSync'))
      rows.push(await appendAll(join(dir, 'os'), 'os', batches, 'storage.append', 'fs.writeSync'))
      rows.push(readFile(join(dir, 'raw.log')))
      rows.push(await readAll(join(dir, 'os')))
      rows.push(writeAll(join(dir, 'raw-fdatasync.log'), true, batches, 'fs.writeSync-fdatasync'))
      rows.push(await appendAll(join(dir, 'fsync'), 'every-batch', batches, 'storage.append-fsync', 'fs.writeSync-fdatasync'))
      rmSync(dir, { recursive: true, force: true })
      return rows
    })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
