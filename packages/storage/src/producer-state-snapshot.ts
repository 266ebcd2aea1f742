/**
 * The producer-state snapshot file, `<20-digit log end offset>.snapshot` in the partition's log
 * directory: the idempotent producers' state as it stood when the log ended at that offset, so a
 * restart replays only the batches after it.
 *
 *   offset  size  field
 *        0     2  version            1
 *        2     4  crc                CRC-32C of bytes [6, end of file), unsigned
 *        6     8  snapshotOffset     the log end offset the state covers; equals the file name
 *       14     4  producerCount
 *       18    ..  producers, each:   producerId int64, producerEpoch int16, batchCount int8 (1..5),
 *                                    then batchCount batches, oldest first, 24 bytes each:
 *                                    firstSeq int32, lastOffsetDelta int32, firstOffset int64,
 *                                    maxTimestamp int64 (lastSeq and lastOffset follow from these)
 *
 * Written to `<name>.tmp`, fsynced, renamed, directory fsynced: a crash leaves either the old set of
 * snapshots or the new one, plus perhaps a `.tmp` that loading removes. A file that fails any check
 * (length, version, CRC, counts, offsets) is a CorruptProducerSnapshotError: the loader deletes it
 * and falls back to an older snapshot or to the log itself, which still holds everything.
 */
import { open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { writeFailure } from './write-failure.js'
import { join } from 'node:path'
import { Data } from 'effect'
import { crc32cOfRange } from './record-batch/crc32c.js'

/** One cached batch of a producer; the offsets are those the log assigned. */
export interface BatchMetadata {
  readonly firstSeq: number
  readonly lastSeq: number
  readonly firstOffset: bigint
  readonly lastOffset: bigint
  readonly maxTimestamp: number
}

/** What a snapshot holds of one producer: its epoch and its last batches, oldest first. */
export interface SnapshotProducer {
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly batches: readonly BatchMetadata[]
}

/** A snapshot file that cannot be trusted; it is deleted and the state comes from elsewhere. */
export class CorruptProducerSnapshotError extends Data.TaggedError('CorruptProducerSnapshotError')<{
  readonly file: string
  readonly reason: string
}> {
  override get message(): string {
    return `corrupt producer-state snapshot ${this.file}: ${this.reason}`
  }
}

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: how many batches a retry may reach back. */
export const MAX_CACHED_BATCHES = 5
export const SNAPSHOT_SUFFIX = '.snapshot'
const TMP_SUFFIX = '.tmp'
const VERSION = 1
const CRC_AT = 2
const BODY_AT = 6
const HEADER_BYTES = 18
const PRODUCER_BYTES = 11
const BATCH_BYTES = 24
const INT32_MAX = 2 ** 31 - 1
const NAME_PATTERN = /^(\d{20})\.snapshot$/

/** int32 sequence arithmetic as Kafka does it: past 2^31-1 the sequence starts again at 0. */
export const incrementSequence = (sequence: number, increment: number): number =>
  sequence > INT32_MAX - increment ? increment - (INT32_MAX - sequence) - 1 : sequence + increment

export const snapshotFileName = (offset: bigint): string => {
  if (offset < 0n || offset > 2n ** 63n - 1n) throw new RangeError(`snapshot offset ${offset} is outside [0, 2^63-1]`)
  return offset.toString().padStart(20, '0') + SNAPSHOT_SUFFIX
}

/** The snapshots in `dir`, by offset ascending (temporary files are not listed). */
export const listSnapshots = async (dir: string): Promise<Array<{ readonly offset: bigint; readonly file: string }>> => {
  const found: Array<{ offset: bigint; file: string }> = []
  for (const name of await readdir(dir)) {
    const match = NAME_PATTERN.exec(name)
    if (match !== null) found.push({ offset: BigInt(match[1]), file: join(dir, name) })
  }
  return found.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))
}

/** Removes what an interrupted snapshot write left behind. */
export const removeTemporarySnapshots = async (dir: string): Promise<void> => {
  for (const name of await readdir(dir)) {
    if (name.endsWith(SNAPSHOT_SUFFIX + TMP_SUFFIX)) await rm(join(dir, name), { force: true })
  }
}

export const encodeProducerSnapshot = (snapshotOffset: bigint, producers: readonly SnapshotProducer[]): Buffer => {
  let size = HEADER_BYTES
  for (const producer of producers) size += PRODUCER_BYTES + producer.batches.length * BATCH_BYTES
  const buf = Buffer.alloc(size)
  buf.writeInt16BE(VERSION, 0)
  buf.writeBigInt64BE(snapshotOffset, BODY_AT)
  buf.writeInt32BE(producers.length, 14)
  let pos = HEADER_BYTES
  for (const producer of producers) {
    buf.writeBigInt64BE(producer.producerId, pos)
    buf.writeInt16BE(producer.producerEpoch, pos + 8)
    buf.writeInt8(producer.batches.length, pos + 10)
    pos += PRODUCER_BYTES
    for (const batch of producer.batches) {
      buf.writeInt32BE(batch.firstSeq, pos)
      buf.writeInt32BE(Number(batch.lastOffset - batch.firstOffset), pos + 4)
      buf.writeBigInt64BE(batch.firstOffset, pos + 8)
      buf.writeBigInt64BE(BigInt(batch.maxTimestamp), pos + 16)
      pos += BATCH_BYTES
    }
  }
  buf.writeUInt32BE(crc32cOfRange(buf, BODY_AT, size), CRC_AT)
  return buf
}

export type DecodedSnapshot =
  | { readonly ok: true; readonly snapshotOffset: bigint; readonly producers: SnapshotProducer[] }
  | { readonly ok: false; readonly reason: string }

const corrupt = (reason: string): DecodedSnapshot => ({ ok: false, reason })

/** Checks and decodes a snapshot's bytes; any inconsistency is a reason, never an exception. */
export const decodeProducerSnapshot = (buf: Buffer): DecodedSnapshot => {
  if (buf.length < HEADER_BYTES) return corrupt(`${buf.length} bytes, shorter than the ${HEADER_BYTES}-byte header`)
  const version = buf.readInt16BE(0)
  if (version !== VERSION) return corrupt(`version ${version}, expected ${VERSION}`)
  const stored = buf.readUInt32BE(CRC_AT)
  const computed = crc32cOfRange(buf, BODY_AT, buf.length)
  if (stored !== computed) return corrupt(`CRC-32C ${computed} does not match the stored ${stored}`)
  const snapshotOffset = buf.readBigInt64BE(BODY_AT)
  const producerCount = buf.readInt32BE(14)
  if (producerCount < 0 || producerCount * PRODUCER_BYTES > buf.length - HEADER_BYTES) {
    return corrupt(`producer count ${producerCount} does not fit in ${buf.length} bytes`)
  }
  const producers: SnapshotProducer[] = []
  let pos = HEADER_BYTES
  for (let i = 0; i < producerCount; i++) {
    if (pos + PRODUCER_BYTES > buf.length) return corrupt(`producer ${i} runs past the end of the file`)
    const producerId = buf.readBigInt64BE(pos)
    const producerEpoch = buf.readInt16BE(pos + 8)
    const batchCount = buf.readInt8(pos + 10)
    pos += PRODUCER_BYTES
    if (producerId < 0n) return corrupt(`producer id ${producerId} is negative`)
    if (batchCount < 1 || batchCount > MAX_CACHED_BATCHES) {
      return corrupt(`producer ${producerId} has ${batchCount} batches, expected 1..${MAX_CACHED_BATCHES}`)
    }
    if (pos + batchCount * BATCH_BYTES > buf.length) return corrupt(`producer ${producerId} runs past the end of the file`)
    const batches: BatchMetadata[] = []
    for (let b = 0; b < batchCount; b++, pos += BATCH_BYTES) {
      const firstSeq = buf.readInt32BE(pos)
      const lastOffsetDelta = buf.readInt32BE(pos + 4)
      const firstOffset = buf.readBigInt64BE(pos + 8)
      const lastOffset = firstOffset + BigInt(lastOffsetDelta)
      if (lastOffsetDelta < 0 || firstOffset < 0n || lastOffset >= snapshotOffset) {
        return corrupt(`producer ${producerId} has a batch at offsets [${firstOffset}, ${lastOffset}], not below ${snapshotOffset}`)
      }
      const lastSeq = incrementSequence(firstSeq, lastOffsetDelta)
      batches.push({ firstSeq, lastSeq, firstOffset, lastOffset, maxTimestamp: Number(buf.readBigInt64BE(pos + 16)) })
    }
    producers.push({ producerId, producerEpoch, batches })
  }
  if (pos !== buf.length) return corrupt(`${buf.length - pos} bytes after the last producer`)
  return { ok: true, snapshotOffset, producers }
}

/** Reads and checks one snapshot file; the name's offset must match the one inside. */
export const readProducerSnapshot = async (
  file: string,
  offset: bigint,
): Promise<SnapshotProducer[] | CorruptProducerSnapshotError> => {
  const decoded = decodeProducerSnapshot(await readFile(file))
  if (!decoded.ok) return new CorruptProducerSnapshotError({ file, reason: decoded.reason })
  if (decoded.snapshotOffset !== offset) {
    return new CorruptProducerSnapshotError({ file, reason: `holds offset ${decoded.snapshotOffset}, its name says ${offset}` })
  }
  return decoded.producers
}

/** Writes `bytes` as the snapshot for `offset`, atomically and durably (see the file comment). */
export const writeProducerSnapshot = async (dir: string, offset: bigint, bytes: Buffer): Promise<void> => {
  const file = join(dir, snapshotFileName(offset))
  const tmp = file + TMP_SUFFIX
  try {
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, file)
  } catch (error) {
    // On a full disk the older snapshots stay and the half-written one goes: it would only hold space.
    await rm(tmp, { force: true })
    throw writeFailure(error, tmp, bytes.length)
  }
  await fsyncDirectory(dir)
}

/** Deletes the given snapshot files, then makes the deletions durable. */
export const deleteSnapshots = async (dir: string, files: readonly string[]): Promise<void> => {
  if (files.length === 0) return
  for (const file of files) await rm(file, { force: true })
  // A deleted snapshot that came back after a crash could describe batches truncated away.
  await fsyncDirectory(dir)
}

const fsyncDirectory = async (dir: string): Promise<void> => {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
