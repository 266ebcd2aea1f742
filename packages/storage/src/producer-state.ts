/**
 * Kafka's ProducerStateManager: per idempotent producer id, its current epoch and the metadata of
 * its last 5 batches. A retry of one of those batches is answered with its original offsets and not
 * appended again; a batch out of sequence, or from an epoch older than the producer's, is refused.
 *
 * The table lives in memory, owned by the partition actor. It survives a restart as a snapshot
 * (producer-state-snapshot.ts) taken at some log end offset plus a replay of the batch headers the
 * log holds after that offset. After a crash the log may end below a snapshot (the snapshot was
 * fsynced, the log's tail was not): such snapshots are deleted, and the state comes from an older
 * one or from the log alone. A corrupt snapshot is deleted the same way. So the table is always
 * what the log's batches say, never more.
 */
import { LogCorruptedError } from './errors.js'
import type { Log } from './log.js'
import {
  CorruptProducerSnapshotError,
  deleteSnapshots,
  encodeProducerSnapshot,
  incrementSequence,
  listSnapshots,
  MAX_CACHED_BATCHES,
  readProducerSnapshot,
  removeTemporarySnapshots,
  writeProducerSnapshot,
  type BatchMetadata,
} from './producer-state-snapshot.js'
import {
  attributesAt,
  BATCH_HEADER_BYTES,
  baseOffsetAt,
  baseSequenceAt,
  batchSizeAt,
  CONTROL_FLAG,
  lastOffsetDeltaAt,
  maxTimestampAt,
  producerEpochAt,
  producerIdAt,
} from './record-batch/batch-header.js'

export type SequenceCheck =
  | { readonly kind: 'append' }
  /** A retry of one of the producer's last 5 batches: answer with its original offsets, append nothing. */
  | { readonly kind: 'duplicate'; readonly baseOffset: bigint; readonly lastOffset: bigint }
  | { readonly kind: 'out-of-order'; readonly expectedSequence: number; readonly receivedSequence: number }
  /** The batch's epoch is older than the producer's current one: a newer instance took over. */
  | { readonly kind: 'fenced'; readonly currentEpoch: number }

export interface ProducerEntry {
  readonly producerId: bigint
  readonly producerEpoch: number
  /** The last sequence, offset and max timestamp of the newest batch. */
  readonly lastSeq: number
  readonly lastOffset: bigint
  readonly lastTimestamp: number
  /** At most 5, oldest first, all of the current epoch. */
  readonly batches: readonly BatchMetadata[]
}

/** How the table was last built, for the partition actor to report. */
export interface ProducerStateLoad {
  /** The snapshot the state started from; undefined when it came from the log alone. */
  readonly snapshotOffset: bigint | undefined
  readonly replayedFromOffset: bigint
  readonly replayedBatches: number
  /** Corrupt snapshots found and deleted on the way. */
  readonly discardedSnapshots: readonly CorruptProducerSnapshotError[]
}

export { CorruptProducerSnapshotError, incrementSequence, MAX_CACHED_BATCHES, type BatchMetadata }
export const SNAPSHOTS_KEPT = 2
const APPEND: SequenceCheck = { kind: 'append' }
// Replay reads whole batches in chunks of this size; a bigger batch still comes whole.
const REPLAY_READ_BYTES = 1024 * 1024

interface MutableEntry {
  readonly producerId: bigint
  producerEpoch: number
  batches: BatchMetadata[]
}

/** The sequence that must follow `lastSeq`: 2^31-1 is followed by 0. */
export const nextSequence = (lastSeq: number): number => incrementSequence(lastSeq, 1)

/**
 * The decision for one batch against a producer's entry (Kafka's ProducerAppendInfo rules), pure.
 * A duplicate needs the same epoch and the same (firstSeq, lastSeq) as a cached batch.
 */
export const checkSequence = (
  entry: { readonly producerEpoch: number; readonly batches: readonly BatchMetadata[] } | undefined,
  producerEpoch: number,
  baseSequence: number,
  lastOffsetDelta: number,
): SequenceCheck => {
  if (entry === undefined || producerEpoch > entry.producerEpoch) {
    return baseSequence === 0 ? APPEND : { kind: 'out-of-order', expectedSequence: 0, receivedSequence: baseSequence }
  }
  if (producerEpoch < entry.producerEpoch) return { kind: 'fenced', currentEpoch: entry.producerEpoch }
  const lastSeq = incrementSequence(baseSequence, lastOffsetDelta)
  for (const batch of entry.batches) {
    if (batch.firstSeq === baseSequence && batch.lastSeq === lastSeq) {
      return { kind: 'duplicate', baseOffset: batch.firstOffset, lastOffset: batch.lastOffset }
    }
  }
  const newest = entry.batches[entry.batches.length - 1]
  const expectedSequence = newest === undefined ? 0 : nextSequence(newest.lastSeq)
  return baseSequence === expectedSequence ? APPEND : { kind: 'out-of-order', expectedSequence, receivedSequence: baseSequence }
}

export class ProducerStateManager {
  private readonly producers = new Map<bigint, MutableEntry>()
  /** The offset of the snapshot that holds exactly the current state, if one was written. */
  private snapshotInSync: bigint | undefined
  private loaded: ProducerStateLoad = { snapshotOffset: undefined, replayedFromOffset: 0n, replayedBatches: 0, discardedSnapshots: [] }

  private constructor(readonly dir: string) {}

  /**
   * Loads the newest snapshot at or below the log end offset from `dir` (the partition's log
   * directory), then replays the log's batches after it; snapshots above the log end (after a
   * truncation or a crash) and corrupt ones are deleted.
   */
  static async load(dir: string, log: Log): Promise<ProducerStateManager> {
    const manager = new ProducerStateManager(dir)
    await manager.rebuild(log, log.logEndOffset)
    return manager
  }

  get producerCount(): number {
    return this.producers.size
  }

  /** How the state was last loaded or rebuilt. */
  get lastLoad(): ProducerStateLoad {
    return this.loaded
  }

  /** Pure check of a batch header; a batch without a producer id (-1) is always 'append'. */
  check(producerId: bigint, producerEpoch: number, baseSequence: number, lastOffsetDelta: number): SequenceCheck {
    if (producerId < 0n) return APPEND
    return checkSequence(this.producers.get(producerId), producerEpoch, baseSequence, lastOffsetDelta)
  }

  /**
   * Records an appended batch (after the log assigned its offsets). A new epoch starts the entry
   * afresh; only the newest 5 batches are kept.
   */
  onAppend(
    producerId: bigint,
    producerEpoch: number,
    baseSequence: number,
    lastOffsetDelta: number,
    baseOffset: bigint,
    maxTimestamp: number,
  ): void {
    if (producerId < 0n) return
    this.snapshotInSync = undefined
    let entry = this.producers.get(producerId)
    if (entry === undefined) {
      entry = { producerId, producerEpoch, batches: [] }
      this.producers.set(producerId, entry)
    } else if (entry.producerEpoch !== producerEpoch) {
      entry.producerEpoch = producerEpoch
      entry.batches = []
    }
    entry.batches.push({
      firstSeq: baseSequence,
      lastSeq: incrementSequence(baseSequence, lastOffsetDelta),
      firstOffset: baseOffset,
      lastOffset: baseOffset + BigInt(lastOffsetDelta),
      maxTimestamp,
    })
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift()
  }

  /** `check` with the fields read from the batch header at `at`; a control batch carries no sequence. */
  checkBatch(batch: Buffer, at = 0): SequenceCheck {
    if ((attributesAt(batch, at) & CONTROL_FLAG) !== 0) return APPEND
    return this.check(producerIdAt(batch, at), producerEpochAt(batch, at), baseSequenceAt(batch, at), lastOffsetDeltaAt(batch, at))
  }

  /** `onAppend` with the fields (base offset included) read from the offset-assigned batch at `at`. */
  onAppendBatch(batch: Buffer, at = 0): void {
    if ((attributesAt(batch, at) & CONTROL_FLAG) !== 0) return
    this.onAppend(
      producerIdAt(batch, at),
      producerEpochAt(batch, at),
      baseSequenceAt(batch, at),
      lastOffsetDeltaAt(batch, at),
      baseOffsetAt(batch, at),
      maxTimestampAt(batch, at),
    )
  }

  /**
   * Writes `<20-digit offset>.snapshot` for the current log end offset atomically (tmp file, fsync,
   * rename), keeping the newest 2. The state is captured before the first await, so appends
   * recorded while the file is written do not leak into it. Does nothing when the last snapshot
   * written is at this offset and nothing was recorded since (an idle partition's periodic call).
   */
  async takeSnapshot(logEndOffset: bigint): Promise<void> {
    if (this.snapshotInSync === logEndOffset) return
    for (const entry of this.producers.values()) {
      const lastOffset = entry.batches[entry.batches.length - 1]!.lastOffset
      if (lastOffset >= logEndOffset) {
        throw new RangeError(`snapshot at log end offset ${logEndOffset} would hold producer ${entry.producerId}'s batch ending at ${lastOffset}`)
      }
    }
    await writeProducerSnapshot(this.dir, logEndOffset, encodeProducerSnapshot(logEndOffset, [...this.producers.values()]))
    this.snapshotInSync = logEndOffset
    const snapshots = await listSnapshots(this.dir)
    await deleteSnapshots(this.dir, snapshots.slice(0, -SNAPSHOTS_KEPT).map((snapshot) => snapshot.file))
  }

  /** After the log was truncated to `offset`: drops snapshots above it and rebuilds the state. */
  async truncateTo(offset: bigint, log: Log): Promise<void> {
    await this.rebuild(log, offset < log.logEndOffset ? offset : log.logEndOffset)
  }

  /**
   * For `Log.truncateFullyAndStartAt`: no batch will be left to describe, so nothing is kept. Call it
   * before the log's: a crash in between then rebuilds from the old log, not from stale snapshots.
   */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    this.producers.clear()
    this.snapshotInSync = undefined
    await deleteSnapshots(this.dir, (await listSnapshots(this.dir)).map((snapshot) => snapshot.file))
    this.loaded = { snapshotOffset: undefined, replayedFromOffset: offset, replayedBatches: 0, discardedSnapshots: [] }
  }

  /** A producer's entry (a copy), or undefined when the table does not know it. */
  producer(producerId: bigint): ProducerEntry | undefined {
    const entry = this.producers.get(producerId)
    return entry && toProducerEntry(entry)
  }

  /** Every producer's entry (copies), by producer id ascending. */
  allProducers(): ProducerEntry[] {
    return [...this.producers.values()]
      .sort((a, b) => (a.producerId < b.producerId ? -1 : a.producerId > b.producerId ? 1 : 0))
      .map(toProducerEntry)
  }

  /** State from the newest usable snapshot at or below `end`, then the log's batches from it to `end`. */
  private async rebuild(log: Log, end: bigint): Promise<void> {
    this.producers.clear()
    this.snapshotInSync = undefined
    await removeTemporarySnapshots(this.dir)
    const snapshots = await listSnapshots(this.dir)
    await deleteSnapshots(this.dir, snapshots.filter((s) => s.offset > end).map((s) => s.file))
    const discardedSnapshots: CorruptProducerSnapshotError[] = []
    let snapshotOffset: bigint | undefined
    for (const snapshot of snapshots.filter((s) => s.offset <= end).reverse()) {
      const read = await readProducerSnapshot(snapshot.file, snapshot.offset)
      if (read instanceof CorruptProducerSnapshotError) {
        discardedSnapshots.push(read)
        await deleteSnapshots(this.dir, [snapshot.file])
        continue
      }
      for (const producer of read) {
        this.producers.set(producer.producerId, { ...producer, batches: [...producer.batches] })
      }
      snapshotOffset = snapshot.offset
      break
    }
    // A snapshot below the log start still holds producers whose batches retention removed.
    const from = snapshotOffset !== undefined && snapshotOffset > log.logStartOffset ? snapshotOffset : log.logStartOffset
    const replayedBatches = await this.replay(log, from, end)
    this.loaded = { snapshotOffset, replayedFromOffset: from, replayedBatches, discardedSnapshots }
  }

  /** Walks the batch headers in [from, end) and records each; records are never decoded. */
  private async replay(log: Log, from: bigint, end: bigint): Promise<number> {
    let batches = 0
    let offset = from
    while (offset < end) {
      let bytes: Buffer
      try {
        bytes = (await log.read(offset, { maxBytes: REPLAY_READ_BYTES })).bytes
      } catch (error) {
        // Damaged log bytes hold no producer state to trust; the log refuses what lies there itself.
        if (error instanceof LogCorruptedError) break
        throw error
      }
      let next = offset
      for (let at = 0; at + BATCH_HEADER_BYTES <= bytes.length; at += batchSizeAt(bytes, at)) {
        const baseOffset = baseOffsetAt(bytes, at)
        if (baseOffset >= end) return batches
        const lastOffset = baseOffset + BigInt(lastOffsetDeltaAt(bytes, at))
        // The first batch of a read may start before `offset`: the snapshot already has it.
        if (lastOffset < offset) continue
        this.onAppendBatch(bytes, at)
        batches++
        next = lastOffset + 1n
      }
      if (next === offset) break
      offset = next
    }
    return batches
  }
}

const toProducerEntry = (entry: MutableEntry): ProducerEntry => {
  const newest = entry.batches[entry.batches.length - 1]!
  return {
    producerId: entry.producerId,
    producerEpoch: entry.producerEpoch,
    lastSeq: newest.lastSeq,
    lastOffset: newest.lastOffset,
    lastTimestamp: newest.maxTimestamp,
    batches: [...entry.batches],
  }
}
