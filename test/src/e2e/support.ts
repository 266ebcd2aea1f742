// Shared pieces of the end-to-end tests: embedded Rivulets on temporary data directories (closed
// and removed after each test), reading a topic back through a consumer, and the on-disk batches.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConsumerOptionsInput, type ConsumerRecord, type EmbeddedOptions, Rivulet, type TopicLike } from '@rivulet/core'
import { baseOffsetAt, baseSequenceAt, batchSizeAt, producerIdAt, recordCountAt } from '@rivulet/storage'
import { firstValueFrom, take, timeout, toArray } from 'rxjs'

const openRivulets: Rivulet[] = []
const dataDirs: string[] = []

/** A fresh temporary directory, removed by `cleanup()`. */
export const tempDataDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-e2e-'))
  dataDirs.push(dir)
  return dir
}

/**
 * An embedded Rivulet on a fresh data directory (or the one given), without fsync (durability
 * across an OS crash is not what these tests check), closed by `cleanup()`.
 */
export const embedded = async (options: Partial<EmbeddedOptions> = {}): Promise<Rivulet> => {
  const rv = await Rivulet.embedded({ defaultTopicConfig: { flush: 'os' }, ...options, dataDir: options.dataDir ?? tempDataDir() })
  openRivulets.push(rv)
  return rv
}

/** For afterEach: closes every Rivulet the test opened and removes its directories. */
export const cleanup = async (): Promise<void> => {
  const closing = openRivulets.splice(0).map((rv) => rv.close().catch(() => undefined))
  await Promise.all(closing)
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** The first `count` records of a topic from its earliest offsets (fails after `timeoutMs`). */
export const readRecords = <T extends TopicLike>(
  rv: Rivulet,
  topic: T,
  count: number,
  options: ConsumerOptionsInput = {},
  timeoutMs = 5_000,
) => {
  const consumer = rv.consumer({ fetchMaxWaitMs: 20, ...options })
  return firstValueFrom(consumer.subscribe(topic, { from: 'earliest' }).pipe(take(count), toArray(), timeout(timeoutMs))).finally(() =>
    consumer.close(),
  )
}

/** A record's key and value as text, with its place: easy to compare. */
export const asText = (record: ConsumerRecord<Buffer | string | unknown, Buffer | string | unknown>) => ({
  partition: record.partition,
  offset: record.offset,
  key: record.key === null ? null : String(record.key),
  value: record.value === null ? null : String(record.value),
})

export interface StoredBatch {
  readonly baseOffset: bigint
  readonly recordCount: number
  readonly producerId: bigint
  readonly baseSequence: number
}

/** The record batches in a partition's segment files on disk, oldest first. */
export const batchesOnDisk = (dataDir: string, topic: string, partition: number): StoredBatch[] => {
  const dir = join(dataDir, `${topic}-${partition}`)
  const batches: StoredBatch[] = []
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.log')).sort()) {
    const bytes = readFileSync(join(dir, file))
    for (let at = 0; at + 12 <= bytes.length; at += batchSizeAt(bytes, at)) {
      batches.push({
        baseOffset: baseOffsetAt(bytes, at),
        recordCount: recordCountAt(bytes, at),
        producerId: producerIdAt(bytes, at),
        baseSequence: baseSequenceAt(bytes, at),
      })
    }
  }
  return batches
}

