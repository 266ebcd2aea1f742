/**
 * Repairing a damaged log, on an operator's explicit command (`rivulet log repair`): the only
 * place where acknowledged bytes leave a segment, and even then they are moved, never deleted.
 *
 * planLogRepair reads (never writes) the log's directory: it scans every batch of every segment
 * (CRC and offset rules, as open and reads check them) and finds the first damage, or a log ending
 * below its recovery point. repairLog carries the plan out:
 * - the damaged segment is cut at the first bad batch; the bytes from there to its end go to
 *   `<segment>.log.damaged-<position>` beside it (fsynced before the cut);
 * - its indexes are removed, to be rebuilt from the log on open;
 * - when the damage is in the last segment, the next offset handed out must be above every offset
 *   that may have been handed out before: the recovery point, and the offsets that the headers of
 *   the damaged batches name when they look plausible (inside the segment's offset range; the last
 *   offset of an intact batch, only the base offset of one failing its CRC). A new empty segment
 *   starts there, as truncateTo does across a compaction gap. Damage in a closed segment leaves
 *   the next segment's base offset, which is above all of its offsets, as it is.
 * The log is then opened once (rebuilding the indexes) and closed cleanly.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { LogRepairRefusedError } from './errors.js'
import {
  CLEAN_SHUTDOWN_FILE,
  COMPACTED_BELOW_FILE,
  fsyncDirectory,
  readOffsetCheckpoint,
  RECOVERY_POINT_FILE,
  segmentMayHaveGaps,
} from './log-checkpoints.js'
import type { CleanupPolicy } from './log-config.js'
import { Log } from './log.js'
import { scanBatches } from './recovery.js'
import { BATCH_HEADER_BYTES, BATCH_MAGIC, baseOffsetAt, batchSizeAt, lastOffsetDeltaAt, magicAt } from './record-batch/batch-header.js'
import { checkBatchAt } from './record-batch/validate.js'
import { LogSegment } from './segment/log-segment.js'
import { finishInterruptedSwaps, listSegmentBaseOffsets, segmentFilePath } from './segment/segment-files.js'

export interface LogRepairOptions {
  /** The topic's cleanup policy: under compact, closed segments may have gaps (default delete). */
  readonly cleanupPolicy?: CleanupPolicy
}

/** What repair would do (or did). */
export interface LogRepairPlan {
  readonly dir: string
  /** Undefined when nothing is damaged: repair then does nothing. */
  readonly damage: LogRepairDamage | undefined
}

export interface LogRepairDamage {
  readonly file: string
  readonly position: number
  readonly reason: string
  readonly segmentBaseOffset: bigint
  /** The damaged segment keeps its offsets below this one. */
  readonly keptEndOffset: bigint
  /** Bytes moved from `position` to the side file; 0 when bytes were missing rather than bad. */
  readonly bytesMoved: number
  /** Where they go (created empty when no bytes move: it records that this segment was repaired). */
  readonly sideFile: string
  /** The offset the next append gets after the repair. */
  readonly nextOffset: bigint
  /** Why nextOffset is what it is. */
  readonly nextOffsetReason: string
  /** Whether the repair starts a new segment at nextOffset. */
  readonly startsSegmentAt: bigint | undefined
}

/** Reads `dir` and says what repairLog would do; writes nothing. */
export const planLogRepair = (dir: string, options: LogRepairOptions = {}): LogRepairPlan => {
  refuseIfInUse(dir)
  const baseOffsets = listSegmentBaseOffsets(dir)
  if (baseOffsets.length === 0) throw new LogRepairRefusedError({ dir, reason: 'no segment files (<20-digit offset>.log) in it' })
  const recoveryPointRead = readOffsetCheckpoint(dir, RECOVERY_POINT_FILE)
  const recoveryPoint = recoveryPointRead.kind === 'offset' ? recoveryPointRead.offset : undefined
  const compactedRead = readOffsetCheckpoint(dir, COMPACTED_BELOW_FILE)
  const compactedBelow = compactedRead.kind === 'offset' ? compactedRead.offset : compactedRead.kind === 'missing' ? 0n : 2n ** 63n
  for (const [i, baseOffset] of baseOffsets.entries()) {
    const isLast = i === baseOffsets.length - 1
    const nextBase = baseOffsets[i + 1]
    const file = segmentFilePath(dir, baseOffset, '.log')
    const contiguous = !segmentMayHaveGaps(baseOffset, isLast, compactedBelow, options.cleanupPolicy ?? 'delete')
    const { scan, size, plausibleEnd } = scanSegment(file, baseOffset, contiguous, nextBase)
    const keptEndOffset = scan.lastOffset === undefined ? baseOffset : scan.lastOffset + 1n
    const belowRecoveryPoint = isLast && recoveryPoint !== undefined && keptEndOffset < recoveryPoint
    const endsEarly = nextBase !== undefined && contiguous && keptEndOffset !== nextBase && !existsSideFile(dir, file)
    if (scan.invalid === undefined && !belowRecoveryPoint && !endsEarly) continue
    const position = scan.invalid?.position ?? size
    const reason =
      scan.invalid?.reason ??
      (endsEarly
        ? `the segment ends at offset ${keptEndOffset} but the next one starts at ${nextBase}: batches are missing`
        : `the log ends at offset ${keptEndOffset}, below its recovery point ${recoveryPoint}`)
    const bytesMoved = size - position
    // Written even when empty: it is what tells open that this segment may end before the next.
    const sideFile = `${file}.damaged-${position}`
    let nextOffset = nextBase ?? keptEndOffset
    let nextOffsetReason = nextBase === undefined ? 'the end of the batches kept' : "the next segment's base offset"
    if (isLast && recoveryPoint !== undefined && recoveryPoint > nextOffset) {
      nextOffset = recoveryPoint
      nextOffsetReason = 'the recovery point: offsets below it may have been acknowledged'
    }
    if (isLast && plausibleEnd !== undefined && plausibleEnd > nextOffset) {
      nextOffset = plausibleEnd
      nextOffsetReason = 'past the last offset a damaged batch header names: it may have been handed out'
    }
    const startsSegmentAt = isLast && nextOffset > keptEndOffset ? nextOffset : undefined
    return {
      dir,
      damage: { file, position, reason, segmentBaseOffset: baseOffset, keptEndOffset, bytesMoved, sideFile, nextOffset, nextOffsetReason, startsSegmentAt },
    }
  }
  return { dir, damage: undefined }
}

/**
 * Carries out planLogRepair's plan for the first damage (see the top of this file) and returns
 * it; run it again while it finds more. Refuses when the log looks open in another process.
 */
export const repairLog = async (dir: string, options: LogRepairOptions = {}): Promise<LogRepairPlan> => {
  refuseIfInUse(dir)
  finishInterruptedSwaps(dir)
  const plan = planLogRepair(dir, options)
  const damage = plan.damage
  if (damage === undefined) return plan
  if (existsSync(damage.sideFile)) throw new LogRepairRefusedError({ dir, reason: `${damage.sideFile} already exists` })
  moveTailAside(damage.file, damage.position, damage.sideFile)
  rmSync(segmentFilePath(dir, damage.segmentBaseOffset, '.index'), { force: true })
  rmSync(segmentFilePath(dir, damage.segmentBaseOffset, '.timeindex'), { force: true })
  rmSync(join(dir, CLEAN_SHUTDOWN_FILE), { force: true })
  if (damage.startsSegmentAt !== undefined) LogSegment.create(dir, damage.startsSegmentAt, 4096).close()
  fsyncDirectory(dir)
  const log = await Log.open(dir, { cleanupPolicy: options.cleanupPolicy ?? 'delete', flush: 'os' })
  await log.close()
  return plan
}

/** Copies [position, end) of `file` to `sideFile` and fsyncs it, then cuts `file` at `position` and fsyncs it. */
const moveTailAside = (file: string, position: number, sideFile: string): void => {
  const fd = openSync(file, 'r+')
  try {
    const size = fstatSync(fd).size
    const tail = Buffer.allocUnsafe(size - position)
    readSync(fd, tail, 0, tail.length, position)
    const out = openSync(sideFile, 'wx')
    try {
      for (let written = 0; written < tail.length; ) written += writeSync(out, tail, written, tail.length - written)
      fsyncSync(out)
    } finally {
      closeSync(out)
    }
    fsyncDirectory(dirname(sideFile))
    ftruncateSync(fd, position)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * A full scan of one segment, and past its first invalid batch, the highest last offset (+ 1) a
 * header there names that lies inside the segment's offset range: such an offset may have been
 * handed out.
 */
const scanSegment = (file: string, baseOffset: bigint, contiguous: boolean, nextBase: bigint | undefined) => {
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    const scan = scanBatches(fd, {
      segmentBaseOffset: baseOffset,
      firstBaseOffset: contiguous ? baseOffset : undefined,
      contiguous,
      endOffsetExclusive: nextBase,
    })
    let plausibleEnd: bigint | undefined
    if (scan.invalid !== undefined) {
      const tail = Buffer.allocUnsafe(size - scan.invalid.position)
      readSync(fd, tail, 0, tail.length, scan.invalid.position)
      const limit = nextBase ?? baseOffset + 0x80000000n
      for (let at = 0; at + BATCH_HEADER_BYTES <= tail.length; ) {
        const batchSize = batchSizeAt(tail, at)
        if (magicAt(tail, at) !== BATCH_MAGIC || batchSize < BATCH_HEADER_BYTES) break
        // A batch failing its CRC may have a flipped lastOffsetDelta: only its base offset counts.
        const lastOffsetDelta = checkBatchAt(tail, at) === undefined ? lastOffsetDeltaAt(tail, at) : 0
        const end = baseOffsetAt(tail, at) + BigInt(lastOffsetDelta) + 1n
        if (lastOffsetDelta >= 0 && baseOffsetAt(tail, at) >= baseOffset && end <= limit && (plausibleEnd === undefined || end > plausibleEnd)) {
          plausibleEnd = end
        }
        at += batchSize
      }
    }
    return { scan, size, plausibleEnd }
  } finally {
    closeSync(fd)
  }
}

const existsSideFile = (dir: string, file: string): boolean => {
  const prefix = `${basename(file)}.damaged-`
  return readdirSync(dir).some((name) => name.startsWith(prefix))
}

/** Refuses a partition directory whose data directory's `.lock` names a live process. */
const refuseIfInUse = (dir: string): void => {
  if (!existsSync(dir)) throw new LogRepairRefusedError({ dir, reason: 'no such directory' })
  const lock = join(dirname(dir), '.lock')
  let ownerPid: number
  try {
    ownerPid = Number.parseInt(readFileSync(lock, 'utf8'), 10)
  } catch {
    return
  }
  if (!Number.isInteger(ownerPid) || ownerPid <= 0 || !isAlive(ownerPid)) return
  throw new LogRepairRefusedError({
    dir,
    reason: `${lock} names process ${ownerPid}, which is running: stop the broker using ${basename(dirname(dir))} first`,
  })
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
