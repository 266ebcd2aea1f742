/**
 * What Log.open calls damage once every segment is open: the first invalid batch a crash cannot
 * have torn, a contiguous closed segment ending below the next one's base, or a log ending below
 * its recovery point. See log.ts for what the log then refuses.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { LogCorruptedError } from './errors.js'
import type { LogSegment } from './segment/log-segment.js'
/**
 * Segments `rivulet log repair` cut: each has a `<segment>.log.damaged-<position>` side file, and
 * may end below the next segment's base offset (repair never hands the offsets in between out again).
 */
export const repairedSegments = (dir: string): Set<string> => {
  const found = new Set<string>()
  for (const name of readdirSync(dir)) {
    const at = name.indexOf('.log.damaged-')
    if (at > 0) found.add(join(dir, name.slice(0, at + 4)))
  }
  return found
}

/**
 * The first damage open found: an invalid batch where a crash cannot have torn it (a closed
 * segment, anywhere after a clean shutdown, below the recovery point), or a log ending below its
 * recovery point (bytes of flushed batches are missing).
 */
export const damageFound = (
  dir: string,
  segments: readonly LogSegment[],
  recoveryPoint: bigint | undefined,
  mustEndAtNext: (segment: LogSegment) => boolean,
): LogCorruptedError | undefined => {
  for (const [i, segment] of segments.entries()) {
    const endOffset = segments[i + 1]?.baseOffset
    if (segment.corruption !== undefined) {
      const { position, reason } = segment.corruption
      return new LogCorruptedError({ dir, file: segment.file, position, reason, firstOffset: segment.nextOffset, endOffset })
    }
    // A roll starts the next segment at this one's end: a contiguous segment ending earlier lost batches.
    if (endOffset !== undefined && segment.nextOffset !== endOffset && mustEndAtNext(segment)) {
      const reason = `the segment ends at offset ${segment.nextOffset} but the next one starts at ${endOffset}: batches are missing`
      return new LogCorruptedError({ dir, file: segment.file, position: segment.sizeBytes, reason, firstOffset: segment.nextOffset, endOffset })
    }
  }
  const active = segments[segments.length - 1]!
  if (recoveryPoint !== undefined && active.nextOffset < recoveryPoint) {
    return new LogCorruptedError({
      dir,
      file: active.file,
      position: active.sizeBytes,
      reason: `the log ends at offset ${active.nextOffset}, below its recovery point ${recoveryPoint}: flushed batches are missing`,
      firstOffset: active.nextOffset,
      endOffset: undefined,
    })
  }
  return undefined
}
