import { describe, expect, it } from 'vitest'
import { NothingToShiftError, planReset } from './group-reset-plan.js'

const now = { partition: 1, logStartOffset: 10n, logEndOffset: 20n, committed: 15n }

describe('planReset', () => {
  it('moves to either end, to an offset, or by a shift from the committed offset', () => {
    expect(planReset('earliest', now)).toEqual({ partition: 1, committed: 15n, requested: 10n, next: 10n, clamped: undefined })
    expect(planReset('latest', now).next).toBe(20n)
    expect(planReset({ offset: 12n }, now).next).toBe(12n)
    expect(planReset({ shiftBy: -3n }, now).next).toBe(12n)
  })

  it('keeps what was asked within the log, saying which end it was clamped to', () => {
    expect(planReset({ offset: 50n }, now)).toMatchObject({ requested: 50n, next: 20n, clamped: 'log end' })
    expect(planReset({ shiftBy: -100n }, now)).toMatchObject({ requested: -85n, next: 10n, clamped: 'log start' })
  })

  it('refuses to shift a partition with nothing committed', () => {
    expect(() => planReset({ shiftBy: 1n }, { ...now, committed: undefined })).toThrow(NothingToShiftError)
  })
})
