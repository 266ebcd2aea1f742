/**
 * Where `consume` starts on each partition and where it counts as at the end: pure decisions
 * over the partitions' log start and end offsets as they were when the command started, so -e
 * (exit at the end), the "waiting past the end" note and the start offsets can be tested
 * without a broker. The end is the one the command saw at its start: records sent later are
 * printed if they come before every partition has reached it, as kcat's -e does.
 */

/** Where to start: a log end, an offset, or (kcat's -o -N) N records before the end. */
export type StartSpec = 'earliest' | 'latest' | { readonly offset: bigint } | { readonly fromEnd: bigint }

export interface PartitionBounds {
  readonly partition: number
  readonly logStartOffset: bigint
  readonly logEndOffset: bigint
}

export interface PartitionStart {
  readonly partition: number
  /** The offset the consumer asks for. */
  readonly offset: bigint
  /** The log end when the command started: reading up to it is reading to the end. */
  readonly end: bigint
  /** Set when the offset asked for was past the end: the consumer waits for records to reach it. */
  readonly pastEnd: boolean
}

/** The start of one partition for `spec`; an offset below the log start begins at the log start. */
export const startOf = (spec: StartSpec, bounds: PartitionBounds): PartitionStart => {
  const { partition, logStartOffset, logEndOffset: end } = bounds
  const at = (offset: bigint): PartitionStart => ({ partition, offset, end, pastEnd: offset > end })
  if (spec === 'earliest') return at(logStartOffset)
  if (spec === 'latest') return at(end)
  if ('offset' in spec) return at(spec.offset < logStartOffset ? logStartOffset : spec.offset)
  const back = end - spec.fromEnd
  return at(back < logStartOffset ? logStartOffset : back)
}

/**
 * Which partitions have reached the end they had at the start. A partition is there when its
 * next offset (after the last record printed, or where it started) is at or past that end.
 */
export class EndTracker {
  private readonly ends = new Map<number, bigint>()
  private readonly reached = new Set<number>()

  /** Registers a partition; answers true when it is already at its end (nothing to read). */
  add(partition: number, next: bigint, end: bigint): boolean {
    this.ends.set(partition, end)
    return this.advance(partition, next)
  }

  /** The partition's next offset is `next`; answers true the first time that reaches its end. */
  advance(partition: number, next: bigint): boolean {
    const end = this.ends.get(partition)
    if (end === undefined || this.reached.has(partition) || next < end) return false
    this.reached.add(partition)
    return true
  }

  /** Whether every registered partition has reached its end (true for none registered). */
  get allReached(): boolean {
    return this.reached.size === this.ends.size
  }

  get size(): number {
    return this.ends.size
  }
}
