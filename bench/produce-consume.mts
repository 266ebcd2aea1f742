// `npm run bench -- produce-consume`: embedded, flush by OS. One producer sends 1,000,000 records
// of 100 bytes (keys over 10,000 values) to a 6-partition topic while a consumer reads them
// (rows `produce` and `consume-concurrent`); then a fresh consumer reads all of them (`consume`);
// then records are sent at a fixed 10,000 records/s and timed from send to receipt (`e2e-latency`).
// Baselines in the same run: the same records, split over the partitions by key as the producer
// splits them, encoded in batches of about the producer's size and appended straight to one log per
// partition (`storage.append`, produce's baseline), then read back in 1 MiB fetches with every
// record decoded (`storage.read`, consume's): what the broker, the actors and the clients add.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { keyedPartition, Rivulet, type Consumer, type Producer } from '@rivulet/core'
import { batchSizeAt, encodeRecordBatch, lastOffsetAt, Log, MiB, RecordCursor, type RecordInput } from '@rivulet/storage'
import { count, firstValueFrom, map, take, type Subscription } from 'rxjs'
import type { Row } from './lib/report.mjs'

const RECORDS = 1_000_000
const VALUE_BYTES = 100
const KEYS = 10_000
const PARTITIONS = 6
const SEND_CHUNK = 10_000
const LATENCY_RATE_PER_S = 10_000
const LATENCY_SECONDS = 5

const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(`key-${i}`))
const values = Array.from({ length: 1_000 }, (_, i) => Buffer.alloc(VALUE_BYTES, i & 0xff))

/** Sends `total` records in chunks, keeping a few chunks in flight, and resolves when all are acknowledged. */
const sendAll = async (producer: Producer, topicName: string, total: number): Promise<void> => {
  const inFlight: Promise<unknown>[] = []
  for (let start = 0; start < total; start += SEND_CHUNK) {
    const chunk = []
    for (let i = start; i < Math.min(total, start + SEND_CHUNK); i++) chunk.push({ key: keys[i % KEYS]!, value: values[i % values.length]! })
    inFlight.push(producer.send(topicName, chunk))
    if (inFlight.length >= 8) await inFlight.shift()
  }
  await Promise.all(inFlight)
}

/** Resolves with the time the consumer took to receive `total` records from `from`. */
const consumeAll = (consumer: Consumer, topicName: string, total: number): Promise<number> => {
  const started = performance.now()
  return firstValueFrom(
    consumer.subscribe(topicName, { from: 'earliest' }).pipe(
      take(total),
      count(),
      map((received) => {
        if (received !== total) throw new Error(`received ${received} of ${total}`)
        return (performance.now() - started) / 1000
      }),
    ),
  )
}

// About the producer's default batchBytes (256 KiB) of ~120-byte records.
const BASELINE_BATCH_RECORDS = 2_000

/** produce's and consume's baselines: the same records straight into and out of one log per partition. */
const storageBaselines = async (): Promise<{ appendSeconds: number; readSeconds: number }> => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-pc-storage-'))
  try {
    const logs = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => Log.open(join(dir, `bench-${p}`), { flush: 'os', segmentBytes: 256 * MiB })))
    const pending: RecordInput[][] = logs.map(() => [])
    const appendStarted = performance.now()
    const timestamp = Date.now()
    for (let i = 0; i < RECORDS; i++) {
      const key = keys[i % KEYS]!
      const partition = keyedPartition(key, PARTITIONS)
      const batch = pending[partition]!
      batch.push({ key, value: values[i % values.length]!, timestamp })
      if (batch.length === BASELINE_BATCH_RECORDS) {
        await logs[partition]!.append(encodeRecordBatch(batch))
        pending[partition] = []
      }
    }
    for (let p = 0; p < PARTITIONS; p++) if (pending[p]!.length > 0) await logs[p]!.append(encodeRecordBatch(pending[p]!))
    const appendSeconds = (performance.now() - appendStarted) / 1000

    const readStarted = performance.now()
    let records = 0
    for (const log of logs) {
      let offset = log.logStartOffset
      while (offset < log.logEndOffset) {
        const { bytes } = await log.read(offset, { maxBytes: 1 * MiB })
        for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
          const cursor = new RecordCursor(bytes, at)
          while (cursor.next()) records++
          offset = lastOffsetAt(bytes, at) + 1n
        }
      }
    }
    const readSeconds = (performance.now() - readStarted) / 1000
    if (records !== RECORDS) throw new Error(`storage baseline read ${records} of ${RECORDS} records`)
    await Promise.all(logs.map((log) => log.close()))
    return { appendSeconds, readSeconds }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const measureLatency = async (rv: Rivulet): Promise<number[]> => {
  await rv.admin.createTopic('latency', { partitions: PARTITIONS })
  const producer = rv.producer()
  const consumer = rv.consumer({ fetchMaxWaitMs: 100 })
  const total = LATENCY_RATE_PER_S * LATENCY_SECONDS
  const latenciesMs: number[] = []
  let subscription: Subscription | undefined
  const received = new Promise<void>((resolve, reject) => {
    subscription = consumer.subscribe('latency', { from: 'latest' }).subscribe({
      next: (record) => {
        latenciesMs.push(performance.now() - record.value!.readDoubleLE(0))
        if (latenciesMs.length === total) resolve()
      },
      error: reject,
    })
  })
  // Let the consumer's first (parked) fetches reach the partitions before timing starts.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const started = performance.now()
  const sends: Promise<unknown>[] = []
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * LATENCY_RATE_PER_S))
    for (; sent < due; sent++) {
      const value = Buffer.allocUnsafe(VALUE_BYTES)
      value.writeDoubleLE(performance.now(), 0)
      sends.push(producer.send('latency', { key: keys[sent % KEYS]!, value }))
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await Promise.all(sends)
  await received
  subscription?.unsubscribe()
  return latenciesMs
}

export const run = async (): Promise<Row[]> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-bench-pc-'))
  const rv = await Rivulet.embedded({ dataDir, defaultTopicConfig: { flush: 'os', segmentBytes: 256 * 1024 * 1024 } })
  try {
    await rv.admin.createTopic('bench', { partitions: PARTITIONS })
    await rv.admin.createTopic('warmup', { partitions: PARTITIONS })
    const producer = rv.producer()
    // Warm the JIT and the producer's metadata so the timed run measures the steady state.
    await sendAll(producer, 'warmup', 100_000)
    await consumeAll(rv.consumer(), 'warmup', 100_000)

    const concurrent = consumeAll(rv.consumer(), 'bench', RECORDS)
    const produceStarted = performance.now()
    await sendAll(producer, 'bench', RECORDS)
    const produceSeconds = (performance.now() - produceStarted) / 1000
    const concurrentSeconds = await concurrent
    const consumeSeconds = await consumeAll(rv.consumer(), 'bench', RECORDS)
    const latenciesMs = await measureLatency(rv)
    const baselines = await storageBaselines()
    const bytes = RECORDS * VALUE_BYTES
    return [
      { name: 'produce', records: RECORDS, seconds: produceSeconds, bytes, baseline: 'storage.append', note: `${PARTITIONS} partitions, send() of ${SEND_CHUNK}-record arrays, acks all, idempotent` },
      { name: 'storage.append', records: RECORDS, seconds: baselines.appendSeconds, bytes, note: `baseline: the same records by key into ${PARTITIONS} logs, batches of ${BASELINE_BATCH_RECORDS}, flush by OS` },
      { name: 'consume', records: RECORDS, seconds: consumeSeconds, bytes, baseline: 'storage.read', note: 'a fresh consumer reading the whole topic' },
      { name: 'storage.read', records: RECORDS, seconds: baselines.readSeconds, bytes, note: 'baseline: those logs read in 1 MiB fetches, every record decoded' },
      { name: 'consume-concurrent', records: RECORDS, seconds: concurrentSeconds, bytes, baseline: 'produce', note: 'reading while the producer sends' },
      {
        name: 'e2e-latency',
        records: latenciesMs.length,
        seconds: LATENCY_SECONDS,
        bytes: latenciesMs.length * VALUE_BYTES,
        latenciesMs,
        note: `send to receipt at ${LATENCY_RATE_PER_S} records/s, one send() per record`,
      },
    ]
  } finally {
    await rv.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
