/**
 * Where a partition feed (partition-feed.ts) stands in its partition, as one value: it has a
 * start to look up, an offset to fetch from, fetched records to emit, or it has stopped. A
 * position exists only once looked up, records are held only at a known position, and a stopped
 * feed holds nothing: the union says so, where separate fields could disagree.
 *
 * Every change of position makes a new state object, so an I/O step that awaited can tell by
 * identity whether a seek or a stop moved the feed meanwhile. Emitting does not change the
 * state's identity: a Holding state is one object per fetch and its read position moves in place
 * (no allocation per record).
 */
import type { RecordCursor } from '@rivulet/storage'
import type { OffsetSpec } from '../partition/partition-protocol.js'

/** Where a feed starts (or a seek goes): an offset, or one to look up. */
export type StartPosition = bigint | OffsetSpec

export type FeedState = LookingUp | Ready | Holding | Stopped

/** The start (earliest, latest, a time) is not an offset yet: ask the leader. */
export interface LookingUp {
  readonly _tag: 'LookingUp'
  readonly spec: OffsetSpec
}

/** The next fetch asks for `position`. */
export interface Ready {
  readonly _tag: 'Ready'
  readonly position: bigint
}

/**
 * Fetched batches being emitted: `at` is the byte offset of the next batch in `records`, `batch`
 * the one being walked. `position` is the next offset to emit; the fetch may have started below it.
 */
export interface Holding {
  readonly _tag: 'Holding'
  readonly records: Buffer
  position: bigint
  at: number
  batch: OpenBatch | undefined
}

/** The batch of a Holding state being walked, and what emitting it has done so far. */
export interface OpenBatch {
  readonly cursor: RecordCursor
  readonly base: bigint
  /** The base offset as a number when it is a safe integer (-1 otherwise): offsets without BigInt math. */
  readonly baseNumber: number
  readonly last: bigint
  readonly size: number
  /** Records whose offset delta is below this were emitted, skipped or are below the position. */
  skipBelow: number
  /** The delivery number of the last record of this batch emitted; -1: none yet. */
  lastSequence: number
}

export interface Stopped {
  readonly _tag: 'Stopped'
}

export const stopped: Stopped = { _tag: 'Stopped' }

export const startingAt = (start: StartPosition): LookingUp | Ready =>
  typeof start === 'bigint' ? { _tag: 'Ready', position: start } : { _tag: 'LookingUp', spec: start }

export const readyAt = (position: bigint): Ready => ({ _tag: 'Ready', position })

/** A fetch at `ready.position` returned these batches (not empty). */
export const holding = (ready: Ready, records: Buffer): Holding => ({
  _tag: 'Holding',
  records,
  position: ready.position,
  at: 0,
  batch: undefined,
})

/** The fetched bytes not yet walked past: what a seek or stop lets go of. */
export const unemittedBytes = (state: FeedState): number => (state._tag === 'Holding' ? state.records.length - state.at : 0)

/** The offset the feed's position is at, when it knows one. */
export const positionOf = (state: FeedState): bigint | undefined =>
  state._tag === 'Ready' || state._tag === 'Holding' ? state.position : undefined
