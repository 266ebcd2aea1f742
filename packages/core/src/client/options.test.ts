import { describe, expect, it } from 'vitest'
import { InvalidClientOptionError } from './errors.js'
import { decodeGroupConsumerOptions } from './group-options.js'
import { decodeConsumerOptions, decodeProducerOptions } from './options.js'
import { thrownBy } from '@rivulet/test-kit'

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

  it('refuses keys a plain object inherits, names keys inside onDecodeError, and suggests the nearest option', () => {
    for (const option of ['constructor', 'toString', 'valueOf']) {
      expect(errorOf(() => decodeConsumerOptions({ [option]: 1 } as never))).toMatchObject({ option, reason: expect.stringMatching(/^unknown option/) })
      expect(errorOf(() => decodeProducerOptions({ [option]: 1 } as never)).option).toBe(option)
      expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', [option]: 1 } as never)).option).toBe(option)
    }
    expect(errorOf(() => decodeConsumerOptions(JSON.parse('{"__proto__": {"fetchMaxBytes": 1}}'))).option).toBe('__proto__')
    const nested = errorOf(() => decodeConsumerOptions({ onDecodeError: { deadLetterTopic: 'dlt', extra: 1 } } as never))
    expect(nested).toMatchObject({ option: 'onDecodeError.extra', value: 1, reason: 'unknown key in onDecodeError (known: deadLetterTopic)' })
    expect(errorOf(() => decodeProducerOptions({ lingerMS: 5 } as never)).reason).toMatch(/^unknown option \(did you mean "lingerMs"\? known: acks, /)
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', sessionTimeout: 5 } as never)).reason).toMatch(/did you mean "sessionTimeoutMs"\?/)
  })
})
