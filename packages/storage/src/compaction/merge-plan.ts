/**
 * Which closed segments a compaction pass merges or removes, as a pure decision over their sizes
 * and offsets (Kafka's LogCleaner.groupSegmentsBySize, plus removal of emptied segments).
 *
 * - An empty segment is removed, except the log's first: its base offset is the log start offset,
 *   which a merge must not move. (Kafka never moves the log start for cleaning either: its cleaned
 *   group keeps the first segment's base offset, which is what happens here when that empty first
 *   segment leads the next group.)
 * - The others are grouped greedily, oldest first, into runs of adjacent segments whose bytes add
 *   up to at most segmentBytes and whose offsets stay within int32 of the run's first base offset
 *   (the relative offsets of the index). A run of two or more becomes one segment named by its
 *   first base offset. Greedy grouping is stable: running it again on its own output merges nothing.
 */

const MAX_RELATIVE_OFFSET = 0x7fffffffn

export interface SegmentShape {
  readonly baseOffset: bigint
  /** Last offset + 1; baseOffset when empty. */
  readonly nextOffset: bigint
  readonly sizeBytes: number
}

export interface MergePlan<S extends SegmentShape> {
  /** Empty segments to remove (never the log's first). */
  readonly emptyToRemove: readonly S[]
  /** Runs of two or more adjacent segments, each to become one. */
  readonly groups: ReadonlyArray<readonly S[]>
}

/**
 * `closed`: the closed segments, oldest first, without the active one; `startsLog`: whether
 * closed[0] is the log's first segment (its base offset is the log start offset).
 */
export const planMerges = <S extends SegmentShape>(closed: readonly S[], segmentBytes: number, startsLog: boolean): MergePlan<S> => {
  const emptyToRemove: S[] = []
  const groups: S[][] = []
  let run: S[] = []
  let runBytes = 0
  const endRun = (): void => {
    if (run.length > 1) groups.push(run)
    run = []
    runBytes = 0
  }
  for (const [i, segment] of closed.entries()) {
    if (segment.sizeBytes === 0 && !(i === 0 && startsLog)) {
      emptyToRemove.push(segment)
      continue
    }
    const fits =
      run.length > 0 &&
      runBytes + segment.sizeBytes <= segmentBytes &&
      segment.nextOffset - 1n - run[0]!.baseOffset <= MAX_RELATIVE_OFFSET
    if (!fits) endRun()
    run.push(segment)
    runBytes += segment.sizeBytes
  }
  endRun()
  return { emptyToRemove, groups }
}
