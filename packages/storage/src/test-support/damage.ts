/** For the integrity tests: logs holding known records, crash copies, damage, and what a reader is served. */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@rivulet/test-kit'
import { expect } from 'vitest'
import { LogCorruptedError } from '../errors.js'
import type { Log } from '../log.js'
import { baseOffsetAt, batchSizeAt, lastOffsetAt } from '../record-batch/batch-header.js'
import { decodeRecords } from '../record-batch/decoder.js'
import { encodeRecordBatch } from '../record-batch/encoder.js'

/** The directory as a crash would leave it (no close ran): a copy taken while the log is open. */
export const crashCopy = (dir: string): string => {
  const copy = tempDir('integrity')
  cpSync(dir, copy, { recursive: true })
  return copy
}

/** A batch of records whose values are `v<offset the test expects>` (what was acknowledged). */
export const batchOf = (values: readonly string[], key = 'k'): Buffer =>
  encodeRecordBatch(values.map((value) => ({ key: Buffer.from(key), value: Buffer.from(value), timestamp: 1_700_000_000_000 })))

/** Appends `batches` batches of `perBatch` records; returns value by offset. */
export const appendNumbered = async (log: Log, batches: number, perBatch: number): Promise<Map<bigint, string>> => {
  const acknowledged = new Map<bigint, string>()
  for (let b = 0; b < batches; b++) {
    const first = log.logEndOffset
    const values = Array.from({ length: perBatch }, (_, i) => `v${first + BigInt(i)}`)
    const result = await log.append(batchOf(values))
    values.forEach((value, i) => acknowledged.set(result.baseOffset + BigInt(i), value))
  }
  return acknowledged
}

export const segmentLogFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => /^\d{20}\.log$/.test(name))
    .sort()
    .map((name) => join(dir, name))

/** Batch start positions in a segment file. */
export const batchPositions = (file: string): number[] => {
  const bytes = readFileSync(file)
  const positions: number[] = []
  for (let at = 0; at + 12 <= bytes.length; at += batchSizeAt(bytes, at)) positions.push(at)
  return positions
}

export const flipBit = (file: string, byte: number, bit: number): void => {
  const bytes = readFileSync(file)
  bytes[byte]! ^= 1 << bit
  writeFileSync(file, bytes)
}

export interface Served {
  /** Offsets served with exactly the acknowledged value. */
  readonly exact: number
  /** Offsets whose reads were refused with a LogCorruptedError. */
  readonly refused: bigint[]
  /** Offsets served with another value, or not served without an error: must stay empty. */
  readonly wrong: string[]
}

/**
 * Reads every acknowledged offset as a consumer would (one fetch per offset not yet seen) and
 * sorts each into served exactly, refused loudly, or wrong. Every record served must be at an
 * acknowledged offset with its value.
 */
export const whatIsServed = async (log: Log, acknowledged: ReadonlyMap<bigint, string>): Promise<Served> => {
  const seen = new Map<bigint, string>()
  const refused: bigint[] = []
  const wrong: string[] = []
  const offsets = [...acknowledged.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const offset of offsets) {
    if (seen.has(offset)) continue
    let bytes: Buffer
    try {
      bytes = (await log.read(offset, { maxBytes: 256 })).bytes
    } catch (error) {
      if (!(error instanceof LogCorruptedError)) throw error
      expect(error.file).toMatch(/\d{20}\.log$/)
      expect(error.position).toBeGreaterThanOrEqual(0)
      refused.push(offset)
      continue
    }
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      const base = baseOffsetAt(bytes, at)
      expect(lastOffsetAt(bytes, at)).toBeGreaterThanOrEqual(base)
      for (const record of decodeRecords(bytes, at)) {
        const recordOffset = base + BigInt(record.offsetDelta)
        const value = record.value?.toString() ?? null
        if (acknowledged.get(recordOffset) !== value) wrong.push(`offset ${recordOffset} served ${value}, acknowledged ${acknowledged.get(recordOffset)}`)
        seen.set(recordOffset, String(value))
      }
    }
    if (!seen.has(offset)) wrong.push(`offset ${offset} was neither served nor refused`)
  }
  return { exact: [...seen].filter(([offset, value]) => acknowledged.get(offset) === value).length, refused, wrong }
}
