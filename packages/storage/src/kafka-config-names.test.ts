import { describe, expect, it } from 'vitest'
import { InvalidLogConfigError } from './errors.js'
import { decodeLogConfig } from './log-config.js'

const refusal = (input: Record<string, unknown>): InvalidLogConfigError => {
  try {
    decodeLogConfig(input)
  } catch (error) {
    if (error instanceof InvalidLogConfigError) return error
    throw error
  }
  throw new Error('expected an InvalidLogConfigError')
}

describe("Kafka's topic config names", () => {
  it('set the log config settings of the same meaning, with values as numbers or as Kafka strings', () => {
    const config = decodeLogConfig({
      'retention.ms': '3600000',
      'retention.bytes': -1,
      'segment.bytes': 1048576,
      'segment.ms': '60000',
      'index.interval.bytes': '4096',
      'max.message.bytes': 65536,
      'cleanup.policy': 'delete,compact',
      'delete.retention.ms': 1000,
    })
    expect(config).toMatchObject({
      retentionMs: 3_600_000,
      retentionBytes: -1,
      segmentBytes: 1_048_576,
      segmentMs: 60_000,
      indexIntervalBytes: 4096,
      maxBatchBytes: 65_536,
      cleanupPolicy: 'compact,delete',
      deleteRetentionMs: 1000,
    })
  })

  it('map flush.messages=1 to fsync every batch and flush.ms to a timed fsync; other counts are refused', () => {
    expect(decodeLogConfig({ 'flush.messages': '1' }).flush).toBe('every-batch')
    expect(decodeLogConfig({ 'flush.ms': 250 }).flush).toEqual({ everyMs: 250 })
    expect(refusal({ 'flush.messages': 10 })).toMatchObject({ key: 'flush.messages', value: 10 })
  })

  it('keep camelCase names working beside them', () => {
    expect(decodeLogConfig({ retentionMs: 5, 'segment.bytes': 4096 })).toMatchObject({ retentionMs: 5, segmentBytes: 4096 })
  })

  it('refuse one setting given under both names', () => {
    expect(refusal({ retentionMs: 5, 'retention.ms': 6 }).reason).toMatch(/retentionMs.*already/)
    expect(refusal({ flush: 'os', 'flush.ms': 6 }).key).toBe('flush.ms')
  })

  it('refuse a Kafka setting Rivulet does not have, by name, and suggest the nearest name for a slip', () => {
    expect(refusal({ 'compression.type': 'gzip' })).toMatchObject({ key: 'compression.type', reason: expect.stringMatching(/does not support/) })
    expect(refusal({ 'retention.msec': 5 }).reason).toMatch(/did you mean "retention.ms"/)
  })

  it('check the translated value as the setting would: a bad number names the Kafka key', () => {
    expect(refusal({ 'retention.ms': 'soon' })).toMatchObject({ key: 'retention.ms', value: 'soon' })
  })
})
