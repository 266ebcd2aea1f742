import { Schema } from 'effect'
import { describe, expect, it } from 'vitest'
import { type ConfigFields, decodeConfigFields } from './config-fields.js'

class Refused extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`)
  }
}

const refuse = (key: string, value: unknown, reason: string) => new Refused(key, value, reason)

const shape: ConfigFields = {
  what: 'setting',
  whole: '(config)',
  fields: { sizeBytes: Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0)), mode: Schema.Union([Schema.Literal('a'), Schema.Struct({ everyMs: Schema.Number })]) },
  nested: { mode: ['everyMs'] },
  custom: { inner: (value) => ({ wrapped: value }) },
  alsoKnown: ['takenOut'],
}

const refusal = (input: unknown): Refused => {
  try {
    decodeConfigFields(shape, input, refuse)
  } catch (error) {
    if (error instanceof Refused) return error
    throw error
  }
  throw new Error('expected a refusal')
}

describe('decodeConfigFields', () => {
  it('decodes only what was given, skipping undefined, and hands custom settings to their own decoder', () => {
    expect(decodeConfigFields(shape, { sizeBytes: 5, mode: undefined, inner: 1 }, refuse)).toEqual({ sizeBytes: 5, inner: { wrapped: 1 } })
    expect(decodeConfigFields(shape, undefined, refuse)).toEqual({})
  })

  it('names the key, the value and what the schema expected', () => {
    expect(refusal({ sizeBytes: 0 })).toMatchObject({ key: 'sizeBytes', value: 0, reason: expect.stringMatching(/0/) })
  })

  it('refuses an unknown key with the nearest known one, the taken-out ones included', () => {
    expect(refusal({ sizeByte: 5 }).reason).toMatch(/did you mean "sizeBytes"/)
    expect(refusal({ takenOutt: 1 }).reason).toMatch(/did you mean "takenOut"/)
    expect(refusal({ constructor: 1 }).key).toBe('constructor')
  })

  it('refuses an unknown key inside an object-valued setting, named with its path', () => {
    expect(refusal({ mode: { everyMs: 1, every: 2 } })).toMatchObject({ key: 'mode.every', value: 2 })
  })

  it('refuses a non-object under the name of the whole', () => {
    expect(refusal([1])).toMatchObject({ key: '(config)', reason: 'expected an object' })
    expect(refusal(null).key).toBe('(config)')
  })
})
