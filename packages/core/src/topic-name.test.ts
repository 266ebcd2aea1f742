import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { InvalidTopicNameError, isValidTopicName, topicNamesCollide, validateTopicName } from './topic-name.js'

const failure = (name: string): InvalidTopicNameError => {
  try {
    validateTopicName(name)
  } catch (error) {
    if (error instanceof InvalidTopicNameError) return error
    throw error
  }
  throw new Error(`${name} was accepted`)
}

describe('validateTopicName', () => {
  it.each(['orders', 'a', 'orders.v2', '__consumer_offsets', 'A-b_c.9', '...', '.a', 'x'.repeat(249)])('accepts %j', (name) => {
    expect(() => validateTopicName(name)).not.toThrow()
    expect(isValidTopicName(name)).toBe(true)
  })

  it.each([
    ['', 'empty', 'invalid topic name "": a topic name cannot be empty'],
    ['.', 'dot-name', 'invalid topic name ".": a topic name cannot be "." or ".."'],
    ['..', 'dot-name', 'invalid topic name "..": a topic name cannot be "." or ".."'],
    ['orders/eu', 'illegal-character', 'invalid topic name "orders/eu": "/" is not allowed; use ASCII letters, digits, ".", "_" and "-"'],
    ['my topic', 'illegal-character', 'invalid topic name "my topic": " " is not allowed; use ASCII letters, digits, ".", "_" and "-"'],
    ['café', 'illegal-character', 'invalid topic name "café": "é" is not allowed; use ASCII letters, digits, ".", "_" and "-"'],
  ] as const)('refuses %j (%s)', (name, rule, message) => {
    const error = failure(name)
    expect(error).toMatchObject({ _tag: 'InvalidTopicNameError', name, rule })
    expect(error.message).toBe(message)
    expect(isValidTopicName(name)).toBe(false)
  })

  it('refuses 250 characters, naming the length', () => {
    const error = failure('x'.repeat(250))
    expect(error.rule).toBe('too-long')
    expect(error.message).toContain('at most 249 characters, this one has 250')
  })

  const names = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 260 }),
    fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '_', '-'), maxLength: 260 }),
  )

  test.prop([names])('validate and isValid agree with the rules', (name) => {
    const expected = /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..'
    expect(isValidTopicName(name)).toBe(expected)
    if (expected) validateTopicName(name)
    else expect(() => validateTopicName(name)).toThrow(InvalidTopicNameError)
  })
})

describe('topicNamesCollide', () => {
  it('treats . and _ as the same, like Kafka metric names', () => {
    expect(topicNamesCollide('orders.eu', 'orders_eu')).toBe(true)
    expect(topicNamesCollide('orders.eu', 'orders-eu')).toBe(false)
    expect(topicNamesCollide('a', 'a')).toBe(true)
  })
})
