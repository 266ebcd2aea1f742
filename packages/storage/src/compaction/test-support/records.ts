/** Helpers for the compaction tests: keyed records in and out of a Log, compared as plain values. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { Log } from '../../log.js'
import { batchSizeAt } from '../../record-batch/batch-header.js'
import { decodeRecords, readBatchHeader } from '../../record-batch/decoder.js'
import { encodeRecordBatch, type EncodeRecordBatchOptions } from '../../record-batch/encoder.js'

/** A record as the tests see it: strings (null for null), the offset the log gave it. */
export interface LoggedRecord {
  readonly offset: bigint
  readonly key: string | null
  readonly value: string | null
  readonly timestamp: number
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: string | null }>
}

export interface TestRecord {
  readonly key: string | null
  readonly value: string | null
  readonly timestamp: number
  readonly headers?: ReadonlyArray<{ readonly key: string; readonly value: string | null }>
}

const bytes = (text: string | null): Buffer | null => (text === null ? null : Buffer.from(text))
const text = (buf: Buffer | null): string | null => (buf === null ? null : buf.toString())

export const encodeTestBatch = (records: readonly TestRecord[], options: EncodeRecordBatchOptions = {}): Buffer =>
  encodeRecordBatch(
    records.map((r) => ({
      key: bytes(r.key),
      value: bytes(r.value),
      timestamp: r.timestamp,
      headers: (r.headers ?? []).map((h) => ({ key: h.key, value: bytes(h.value) })),
    })),
    options,
  )

/** Every record of the whole batches in `buf`, in order, with its offset. */
export const recordsIn = (buf: Buffer): LoggedRecord[] => {
  const out: LoggedRecord[] = []
  for (let at = 0; at < buf.length; at += batchSizeAt(buf, at)) {
    const { baseOffset } = readBatchHeader(buf, at)
    for (const r of decodeRecords(buf, at)) {
      out.push({
        offset: baseOffset + BigInt(r.offsetDelta),
        key: text(r.key),
        value: text(r.value),
        timestamp: r.timestamp,
        headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })),
      })
    }
  }
  return out
}

/**
 * Reads the log from `from` to its end with `log.read`, `maxBytes` at a time, checking that every
 * read makes progress; returns the records at or after `from`.
 */
export const readFrom = async (log: Log, from: bigint, maxBytes = 1 << 20): Promise<LoggedRecord[]> => {
  const out: LoggedRecord[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const { bytes: read } = await log.read(offset, { maxBytes })
    expect(read.length, `read at ${offset} returned nothing before the log end ${log.logEndOffset}`).toBeGreaterThan(0)
    for (const record of recordsIn(read)) {
      if (record.offset < offset) continue
      if (out.length > 0) expect(record.offset).toBeGreaterThan(out[out.length - 1].offset)
      out.push(record)
    }
    let at = 0
    while (at + batchSizeAt(read, at) < read.length) at += batchSizeAt(read, at)
    offset = readBatchHeader(read, at).lastOffset + 1n
  }
  return out
}

/** Files a crash during compaction would leave. */
export const swapLeftovers = (dir: string): string[] => readdirSync(dir).filter((name) => /\.(cleaned|swap)$/.test(name))

/** Every file of `dir` by name, with its bytes. */
export const readDirectoryFiles = (dir: string): Record<string, Buffer> =>
  Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name))]))

/**
 * What compaction leaves of the closed segments: no empty one but the log's first, and no two
 * neighbours that would fit in one segment (so their number is bounded by the live bytes).
 */
export const expectSegmentsBounded = (log: Log): void => {
  const closed = log.segmentsForMaintenance().slice(0, -1)
  for (const [i, segment] of closed.entries()) {
    if (i > 0) expect(segment.sizeBytes, `closed segment ${segment.baseOffset} is empty`).toBeGreaterThan(0)
    const next = closed[i + 1]
    if (next !== undefined && i + 1 < closed.length) {
      expect(segment.sizeBytes + next.sizeBytes, `segments ${segment.baseOffset} and ${next.baseOffset} fit in one`).toBeGreaterThan(log.config.segmentBytes)
    }
  }
}
