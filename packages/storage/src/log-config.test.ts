import { describe, expect, it } from 'vitest'
import { InvalidLogConfigError } from './errors.js'
import { decodeLogConfig, defaultLogConfig, GiB, MiB } from './log-config.js'

describe('decodeLogConfig', () => {
  it('gives the documented defaults for an empty input', () => {
    const config = decodeLogConfig({})
    expect(config).toEqual(defaultLogConfig)
    expect(config.segmentBytes).toBe(1 * GiB)
    expect(config.retentionMs).toBe(7 * 24 * 3600 * 1000)
    expect(config.indexIntervalBytes).toBe(4096)
    expect(config.maxBatchBytes).toBe(1 * MiB)
  })

  it('keeps given values over the defaults', () => {
    const config = decodeLogConfig({ segmentBytes: 1000, retentionMs: -1, flush: { everyMs: 50 }, cleanupPolicy: 'compact' })
    expect(config.segmentBytes).toBe(1000)
    expect(config.retentionMs).toBe(-1)
    expect(config.flush).toEqual({ everyMs: 50 })
    expect(config.cleanupPolicy).toBe('compact')
  })

  it.each([
    ['segmentBytes', 0],
    ['segmentBytes', 1.5],
    ['segmentBytes', '1GB'],
    ['segmentBytes', 2 ** 31],
    ['retentionMs', -2],
    ['indexIntervalBytes', -1],
    ['flush', 'sometimes'],
    ['flush', { everyMs: 0 }],
    ['maxBatchBytes', 0],
    ['cleanupPolicy', 'keep'],
    ['deleteRetentionMs', Number.NaN],
  ])('refuses %s=%j with an error naming the key and value', (key, value) => {
    let error: unknown
    try {
      decodeLogConfig({ [key]: value })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidLogConfigError)
    const invalid = error as InvalidLogConfigError
    expect(invalid.key).toBe(key)
    expect(invalid.value).toEqual(value)
    expect(invalid.message).toContain(key)
  })

  it('refuses an unknown key, listing the known ones', () => {
    expect(() => decodeLogConfig({ segmentSize: 10 } as never)).toThrow(/unknown setting.*segmentBytes/)
  })

  const refusal = (input: unknown): InvalidLogConfigError => {
    try {
      decodeLogConfig(input as never)
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidLogConfigError)
      return error as InvalidLogConfigError
    }
    throw new Error('expected a refusal')
  }

  it('refuses keys a plain object inherits (constructor, toString, __proto__ from JSON) as unknown', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty']) {
      expect(refusal({ [key]: 1 })).toMatchObject({ key, reason: expect.stringMatching(/^unknown setting/) })
    }
    expect(refusal(JSON.parse('{"__proto__": {"segmentBytes": 5}}'))).toMatchObject({ key: '__proto__', reason: expect.stringMatching(/^unknown setting/) })
  })

  it('names an unknown key inside flush, and the nearest known key for a slip', () => {
    const extra = refusal({ flush: { everyMs: 10, extra: 1 } })
    expect(extra).toMatchObject({ key: 'flush.extra', value: 1 })
    expect(extra.reason).toBe('unknown key in flush (known: everyMs)')
    expect(refusal({ flush: { everyMS: 10 } }).reason).toMatch(/did you mean "everyMs"\?/)
    expect(refusal({ retentionMS: 10 }).reason).toMatch(/^unknown setting \(did you mean "retentionMs"\? known: segmentBytes, /)
  })
})
