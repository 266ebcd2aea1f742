import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { editDistance, isKnownKey, nearestKey, unknownKeyReason } from './unknown-key.js'

const known = ['segmentBytes', 'segmentMs', 'retentionMs', 'retentionBytes', 'flush', 'everyMs']

describe('unknown keys', () => {
  it('counts edits case-insensitively', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('retentionMS', 'retentionMs')).toBe(0)
    expect(editDistance('', 'abc')).toBe(3)
  })

  test.prop([fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })])(
    'is a metric: symmetric, zero on itself, and obeys the triangle inequality',
    (a, b, c) => {
      expect(editDistance(a, a)).toBe(0)
      expect(editDistance(a, b)).toBe(editDistance(b, a))
      expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c))
      expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length))
    },
  )

  it('suggests the nearest known key for a slip, and nothing for an unrelated word', () => {
    expect(nearestKey('retentionMS', known)).toBe('retentionMs')
    expect(nearestKey('segmentByte', known)).toBe('segmentBytes')
    expect(nearestKey('retentonBytes', known)).toBe('retentionBytes')
    expect(nearestKey('everyMsec', known)).toBe('everyMs')
    expect(nearestKey('extra', known)).toBeUndefined()
    expect(nearestKey('constructor', known)).toBeUndefined()
  })

  it('takes only own keys as known: inherited ones such as constructor and toString are not settings', () => {
    const fields = { flush: 1 }
    expect(isKnownKey(fields, 'flush')).toBe(true)
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) expect(isKnownKey(fields, key)).toBe(false)
  })

  it('says what is unknown, the suggestion, and every known key', () => {
    expect(unknownKeyReason('setting', 'retentionMS', ['retentionMs', 'flush'])).toBe('unknown setting (did you mean "retentionMs"? known: retentionMs, flush)')
    expect(unknownKeyReason('setting', 'extra', ['everyMs'])).toBe('unknown setting (known: everyMs)')
  })
})
