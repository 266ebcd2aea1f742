/**
 * The decisions of a partition feed (partition-feed.ts), as pure functions of what the feed
 * knows, so each is tested on its own: what the fetch loop does next, what a failed fetch leads
 * to, where an out-of-range position is reset to, and where a restart should resume. The feed
 * holds the state and does the I/O; these say what to do with it.
 */
import type { FeedState } from './feed-state.js'

/** What the fetch loop does next, in priority order: a stop, a wait, the records held, a fetch. */
export type FeedStep =
  | 'stop'
  /** A seek or a commit asked the loop to wait for it. */
  | 'wait-unblocked'
  | 'sleep-paused'
  /** Records of the last fetch are still to be emitted. */
  | 'emit'
  /** The subscription holds maxBufferedBytes already: wait for its pipeline to take some. */
  | 'wait-for-room'
  /** The start (earliest, latest, a time) is not an offset yet. */
  | 'look-up-position'
  | 'fetch'

export interface FeedView {
  /** Where the feed stands (feed-state.ts). */
  readonly state: FeedState['_tag']
  readonly blocked: boolean
  readonly paused: boolean
  readonly hasRoom: boolean
}

export const nextStep = (feed: FeedView): FeedStep => {
  if (feed.state === 'Stopped') return 'stop'
  if (feed.blocked) return 'wait-unblocked'
  if (feed.paused) return 'sleep-paused'
  if (feed.state === 'Holding') return 'emit'
  if (!feed.hasRoom) return 'wait-for-room'
  if (feed.state === 'LookingUp') return 'look-up-position'
  return 'fetch'
}

/** What a failed fetch (or position lookup) leads to. */
export type FailureAction = 'reset-position' | 'back-off-and-find-leader' | 'fail'

/**
 * An offset outside the log resets the position; a retriable error, or ClosedError from a
 * partition stopping (restarted by its supervisor, or its topic deleted, which finding the leader
 * again tells apart), backs off; anything else fails the subscription.
 */
export const failureAction = (tag: unknown, retriable: boolean, lookingUp: boolean): FailureAction => {
  if (!lookingUp && tag === 'OffsetOutOfRangeError') return 'reset-position'
  if (retriable || (!lookingUp && tag === 'ClosedError')) return 'back-off-and-find-leader'
  return 'fail'
}

/** Where autoOffsetReset puts a position the log does not hold, or that it must fail. */
export const resetPosition = (
  policy: 'earliest' | 'latest' | 'error',
  bounds: { readonly logStartOffset: bigint; readonly logEndOffset: bigint },
): bigint | 'fail' => (policy === 'error' ? 'fail' : policy === 'earliest' ? bounds.logStartOffset : bounds.logEndOffset)

/**
 * Where a restart should resume: after the last record acknowledged (or, when the pipeline does
 * not acknowledge, the last emitted) since the current start, else that start; undefined while
 * the start is still being looked up.
 */
export const resumeFrom = (progress: {
  readonly acknowledging: boolean
  readonly baseSequence: number
  readonly basePosition: bigint | undefined
  readonly acknowledgedSequence: number
  readonly acknowledgedOffset: bigint | undefined
  readonly lastSequence: number
  readonly lastOffset: bigint
}): bigint | undefined => {
  if (progress.acknowledging) {
    if (progress.acknowledgedSequence >= progress.baseSequence) return progress.acknowledgedOffset! + 1n
  } else if (progress.lastSequence >= progress.baseSequence) {
    return progress.lastOffset + 1n
  }
  return progress.basePosition
}
