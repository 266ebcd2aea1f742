/**
 * `rivulet dump-log <dir>`: the batches of a partition log directory, as Kafka's
 * kafka-dump-log does: offsets, sizes, producer fields, CRC validity, and with --records each
 * record. Read-only: it never recovers or rewrites anything.
 */
import { openSync, closeSync, readdirSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkBatchAt, readBatchHeader, RecordCursor } from '@rivulet/core/internal'
import type { Output } from '../output.js'

export interface DumpLogOptions {
  readonly records: boolean
  readonly json: boolean
}

const describeBytes = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('utf8'))

export const dumpLog = (dir: string, options: DumpLogOptions, output: Output): number => {
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => /^\d{20}\.log$/.test(f)).sort()
  } catch (error) {
    output.err(`cannot read log directory ${dir}: ${(error as Error).message}`)
    return 1
  }
  if (files.length === 0) {
    output.err(`no segment files (<20-digit offset>.log) in ${dir}`)
    return 1
  }
  let corrupt = 0
  for (const name of files) {
    const file = join(dir, name)
    const bytes = readWhole(file)
    if (!options.json) output.out(`segment ${name} (${bytes.length} bytes)`)
    for (let at = 0; at < bytes.length; ) {
      const reason = checkBatchAt(bytes, at)
      if (reason !== undefined) {
        corrupt++
        const problem = { file, position: at, error: reason }
        output.out(options.json ? JSON.stringify(problem) : `  position ${at}: INVALID ${reason}`)
        break
      }
      const header = readBatchHeader(bytes, at, file)
      const batch = {
        file,
        position: at,
        baseOffset: header.baseOffset.toString(),
        lastOffset: header.lastOffset.toString(),
        count: header.recordCount,
        sizeBytes: header.sizeInBytes,
        maxTimestamp: header.maxTimestamp,
        compression: header.compression,
        producerId: header.producerId.toString(),
        producerEpoch: header.producerEpoch,
        baseSequence: header.baseSequence,
        leaderEpoch: header.partitionLeaderEpoch,
      }
      if (options.json) output.out(JSON.stringify(batch))
      else {
        output.out(
          `  baseOffset ${batch.baseOffset} lastOffset ${batch.lastOffset} count ${batch.count} position ${at} size ${batch.sizeBytes} maxTimestamp ${batch.maxTimestamp} compression ${batch.compression} producerId ${batch.producerId} epoch ${batch.producerEpoch} sequence ${batch.baseSequence}`,
        )
      }
      if (options.records) {
        const cursor = new RecordCursor(bytes, at, file)
        while (cursor.next()) {
          const record = {
            offset: (header.baseOffset + BigInt(cursor.offsetDelta)).toString(),
            timestamp: cursor.timestamp,
            key: describeBytes(cursor.key),
            value: describeBytes(cursor.value),
            headers: cursor.headers.map((h) => ({ key: h.key, value: describeBytes(h.value) })),
          }
          output.out(options.json ? JSON.stringify(record) : `    | offset ${record.offset} timestamp ${record.timestamp} key ${JSON.stringify(record.key)} value ${JSON.stringify(record.value)}`)
        }
      }
      at += header.sizeInBytes
    }
  }
  return corrupt === 0 ? 0 : 2
}

const readWhole = (file: string): Buffer => {
  const size = statSync(file).size
  const bytes = Buffer.alloc(size)
  const fd = openSync(file, 'r')
  try {
    for (let read = 0; read < size; ) read += readSync(fd, bytes, read, size - read, read)
  } finally {
    closeSync(fd)
  }
  return bytes
}

