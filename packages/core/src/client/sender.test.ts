import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { nextSequence } from './sender.js'

describe('nextSequence', () => {
  it('advances by the record count and wraps past 2^31 - 1 to 0', () => {
    expect(nextSequence(0, 5)).toBe(5)
    expect(nextSequence(2 ** 31 - 1, 1)).toBe(0)
    expect(nextSequence(2 ** 31 - 3, 5)).toBe(2)
  })

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 20 })], { numRuns: 200 })(
    "matches Kafka's DefaultRecordBatch.incrementSequence",
    (sequence, count) => {
      const max = 2 ** 31 - 1
      const kafka = sequence > max - count ? count - (max - sequence) - 1 : sequence + count
      expect(nextSequence(sequence, count)).toBe(kafka)
    },
  )
})
