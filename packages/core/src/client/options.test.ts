import { describe, expect, it } from 'vitest'
import { InvalidClientOptionError } from './errors.js'
import { decodeConsumerOptions, decodeProducerOptions } from './options.js'
import { thrownBy } from '../test-support/thrown.js'

const errorOf = (f: () => unknown): InvalidClientOptionError => thrownBy(f, InvalidClientOptionError)

describe('client options', () => {
  it('gives consumers Kafka-like defaults', () => {
    expect(decodeConsumerOptions()).toMatchObject({
      fetchMaxBytes: 1024 * 1024,
      fetchMaxWaitMs: 500,
      maxBufferedBytes: 16 * 1024 * 1024,
      autoOffsetReset: 'latest',
      onDecodeError: 'fail',
    })
    expect(decodeConsumerOptions({ onDecodeError: { deadLetterTopic: 'dlt' } }).onDecodeError).toEqual({ deadLetterTopic: 'dlt' })
  })

  it('names the option and the value it refuses', () => {
    const bad = errorOf(() => decodeConsumerOptions({ autoOffsetReset: 'smallest' as never }))
    expect(bad).toBeInstanceOf(InvalidClientOptionError)
    expect(bad).toMatchObject({ client: 'consumer', option: 'autoOffsetReset', value: 'smallest' })
    expect(bad.message).toMatch(/^invalid consumer option autoOffsetReset="smallest": /)
    expect(errorOf(() => decodeConsumerOptions({ fetchMaxBytes: 0 })).option).toBe('fetchMaxBytes')
    expect(errorOf(() => decodeConsumerOptions({ onDecodeError: { deadLetterTopic: '' } })).option).toBe('onDecodeError')
    expect(errorOf(() => decodeConsumerOptions({ logger: console.warn as never })).option).toBe('logger')
    expect(errorOf(() => decodeConsumerOptions({ groupId: 'g' } as never)).reason).toMatch(/unknown option \(known: fetchMaxBytes/)
    expect(errorOf(() => decodeConsumerOptions('fast' as never)).option).toBe('(options)')
    expect(errorOf(() => decodeProducerOptions({ retryBackoffMs: 500, retryBackoffMaxMs: 100 })).option).toBe('retryBackoffMaxMs')
    expect(errorOf(() => decodeProducerOptions({ compression: 'zstd' as never })).option).toBe('compression')
  })
})
