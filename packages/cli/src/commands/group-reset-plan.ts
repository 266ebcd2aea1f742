/**
 * What `group reset-offsets` would do, decided before anything moves: per partition the offset
 * committed now, the one asked for and the one it becomes, kept within the log (a clamp is
 * reported, as kafka-consumer-groups does). --dry-run prints this plan; --execute commits it.
 */

/** Where the offsets go (kafka-consumer-groups' --to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime). */
export type ResetTarget = 'earliest' | 'latest' | { readonly offset: bigint } | { readonly shiftBy: bigint } | { readonly timestamp: number }

export interface PartitionNow {
  readonly partition: number
  readonly logStartOffset: bigint
  readonly logEndOffset: bigint
  readonly committed: bigint | undefined
  /** For a timestamp target: the first offset at or after it (the log end when none is), as the partition answered. */
  readonly atTimestamp?: bigint
}

export interface PlannedReset {
  readonly partition: number
  readonly committed: bigint | undefined
  /** What the target asked for before clamping into [logStart, logEnd]. */
  readonly requested: bigint
  readonly next: bigint
  /** Set when `requested` was outside the log: which end it was kept to. */
  readonly clamped: 'log start' | 'log end' | undefined
}

export class NothingToShiftError extends Error {
  constructor(readonly partition: number) {
    super(`partition ${partition} has no committed offset to shift: use --to-earliest, --to-latest or --to-offset for it`)
    this.name = 'NothingToShiftError'
  }
}

export const planReset = (target: ResetTarget, now: PartitionNow): PlannedReset => {
  const { partition, logStartOffset, logEndOffset, committed } = now
  let requested: bigint
  if (target === 'earliest') requested = logStartOffset
  else if (target === 'latest') requested = logEndOffset
  else if ('offset' in target) requested = target.offset
  else if ('timestamp' in target) {
    if (now.atTimestamp === undefined) throw new Error(`planReset: no offset was looked up for partition ${partition} at ${target.timestamp}`)
    requested = now.atTimestamp
  }
  else {
    if (committed === undefined) throw new NothingToShiftError(partition)
    requested = committed + target.shiftBy
  }
  const clamped = requested < logStartOffset ? 'log start' : requested > logEndOffset ? 'log end' : undefined
  const next = clamped === 'log start' ? logStartOffset : clamped === 'log end' ? logEndOffset : requested
  return { partition, committed, requested, next, clamped }
}
