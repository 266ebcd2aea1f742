import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type FeedView, failureAction, nextStep, resetPosition, resumeFrom } from './feed-decisions.js'

const idle: FeedView = { state: 'Ready', blocked: false, paused: false, hasRoom: true }

describe('nextStep', () => {
  it('fetches only when nothing else is to be done, and looks the start up first', () => {
    expect(nextStep(idle)).toBe('fetch')
    expect(nextStep({ ...idle, state: 'LookingUp' })).toBe('look-up-position')
    expect(nextStep({ ...idle, hasRoom: false })).toBe('wait-for-room')
    expect(nextStep({ ...idle, state: 'Holding', hasRoom: false })).toBe('emit')
  })

  it('never fetches or emits once stopped, blocked or paused, whatever else holds', () => {
    fc.assert(
      fc.property(fc.record({ state: fc.constantFrom('LookingUp' as const, 'Ready' as const, 'Holding' as const, 'Stopped' as const), blocked: fc.boolean(), paused: fc.boolean(), hasRoom: fc.boolean() }), (view) => {
        const step = nextStep(view)
        if (view.state === 'Stopped') expect(step).toBe('stop')
        else if (view.blocked) expect(step).toBe('wait-unblocked')
        else if (view.paused) expect(step).toBe('sleep-paused')
        // Records already fetched are emitted before more are asked for, room or not.
        else if (view.state === 'Holding') expect(step).toBe('emit')
        // Nothing is fetched beyond the subscription's byte budget.
        if (step === 'fetch') expect(view.hasRoom && view.state === 'Ready').toBe(true)
      }),
    )
  })
})

describe('failureAction', () => {
  it('resets on an offset outside the log, backs off on retriable errors and on a stopping partition, fails on the rest', () => {
    expect(failureAction('OffsetOutOfRangeError', false, false)).toBe('reset-position')
    expect(failureAction('NotLeaderError', true, false)).toBe('back-off-and-find-leader')
    expect(failureAction('ClosedError', false, false)).toBe('back-off-and-find-leader')
    expect(failureAction('UnknownTopicError', false, false)).toBe('fail')
  })

  it('looking the start up, a ClosedError or an out-of-range answer is not retried', () => {
    expect(failureAction('ClosedError', false, true)).toBe('fail')
    expect(failureAction('OffsetOutOfRangeError', false, true)).toBe('fail')
    expect(failureAction('RequestTimeout', true, true)).toBe('back-off-and-find-leader')
  })
})

describe('resetPosition', () => {
  it('goes to the log start or end, or says to fail', () => {
    const bounds = { logStartOffset: 5n, logEndOffset: 9n }
    expect(resetPosition('earliest', bounds)).toBe(5n)
    expect(resetPosition('latest', bounds)).toBe(9n)
    expect(resetPosition('error', bounds)).toBe('fail')
  })
})

describe('resumeFrom', () => {
  const progress = { acknowledging: true, baseSequence: 10, basePosition: 100n, acknowledgedSequence: 12, acknowledgedOffset: 104n, lastSequence: 15, lastOffset: 107n }

  it('resumes after the last acknowledged record when the pipeline acknowledges, else after the last emitted', () => {
    expect(resumeFrom(progress)).toBe(105n)
    expect(resumeFrom({ ...progress, acknowledging: false })).toBe(108n)
  })

  it('resumes at the start when nothing since it was acknowledged or emitted, and is unknown while it is looked up', () => {
    expect(resumeFrom({ ...progress, acknowledgedSequence: 9 })).toBe(100n)
    expect(resumeFrom({ ...progress, acknowledging: false, lastSequence: 3 })).toBe(100n)
    expect(resumeFrom({ ...progress, acknowledgedSequence: 9, basePosition: undefined })).toBeUndefined()
  })
})
