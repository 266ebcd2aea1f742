/**
 * For the index property tests: lookup and truncation targets drawn from the data (at, one below
 * or one above a value that is in the index) with now and then one from anywhere, so boundaries
 * are hit in most runs instead of by luck.
 */
import { fc } from '@fast-check/vitest'

export type TargetPick =
  | { readonly near: true; readonly entry: number; readonly delta: -1 | 0 | 1 }
  | { readonly near: false; readonly value: number }

export const targetPick = (anywhere: fc.Arbitrary<number>): fc.Arbitrary<TargetPick> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ near: fc.constant(true as const), entry: fc.nat(), delta: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) },
    { weight: 1, arbitrary: fc.record({ near: fc.constant(false as const), value: anywhere }) },
  )

/** The target a pick names among `values` (with no values, near picks fall around 0). */
export const resolveTarget = (pick: TargetPick, values: readonly number[]): number => {
  if (!pick.near) return pick.value
  if (values.length === 0) return pick.delta
  return values[pick.entry % values.length]! + pick.delta
}

/** Steps between neighbouring entries: often 1 (so a target one off an entry is its neighbour), sometimes large. */
export const entryStep = (max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max }))
