/**
 * The highest producer id a partition directory still mentions, in its producer-state snapshots
 * or in any batch header of its segments. The broker needs it only when its own record of handed
 * out ids is lost: ids above it are safe to hand out again, ids at or below it are not.
 * Reads headers only (each batch's CRC covers its producer id, so a flipped bit is not taken
 * for an id); a batch that does not check stops the scan of its file, and is reported.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { decodeProducerSnapshot, SNAPSHOT_SUFFIX } from './producer-state-snapshot.js'
import { PRODUCER_ID_AT } from './record-batch/batch-header.js'
import { scanBatches } from './recovery.js'
import { parseSegmentFileName } from './segment/segment-files.js'

export interface ProducerIdScan {
  /** undefined when no snapshot or batch names an idempotent producer. */
  readonly highestProducerId: bigint | undefined
  /** Files (or the part of them after a bad batch) that could not be read: ids there are unknown. */
  readonly unreadable: readonly { readonly file: string; readonly reason: string }[]
}

export const scanProducerIds = (dir: string): ProducerIdScan => {
  let highest: bigint | undefined
  const note = (id: bigint): void => {
    if (id >= 0n && (highest === undefined || id > highest)) highest = id
  }
  const unreadable: { file: string; reason: string }[] = []
  for (const name of readdirSync(dir)) {
    const file = join(dir, name)
    if (name.endsWith(SNAPSHOT_SUFFIX)) {
      const decoded = decodeProducerSnapshot(readFileSync(file))
      if (decoded.ok) for (const producer of decoded.producers) note(producer.producerId)
      else unreadable.push({ file, reason: decoded.reason })
      continue
    }
    const segment = parseSegmentFileName(name)
    if (segment === undefined || !segment.suffix.startsWith('.log')) continue
    const fd = openSync(file, 'r')
    try {
      const id = Buffer.allocUnsafe(8)
      const scan = scanBatches(fd, {
        segmentBaseOffset: segment.baseOffset,
        contiguous: false,
        onBatch: (batch) => {
          readSync(fd, id, 0, 8, batch.position + PRODUCER_ID_AT)
          note(id.readBigInt64BE(0))
        },
      })
      if (scan.invalid !== undefined) unreadable.push({ file, reason: `from byte ${scan.invalid.position}: ${scan.invalid.reason}` })
    } finally {
      closeSync(fd)
    }
  }
  return { highestProducerId: highest, unreadable }
}
