import { describe, expect, it } from 'vitest'
import { InvalidSubjectError } from './errors.js'
import { subjectMatches, validatePublishSubject, validateSubscribeSubject } from './subject.js'

describe('subjects', () => {
  it.each([
    ['rv.c1.2.partition.orders.5', 'rv.c1.2.partition.orders.5', true],
    ['rv.c1.*.partition.orders.5', 'rv.c1.2.partition.orders.5', true],
    ['rv.c1.>', 'rv.c1.2.partition.orders.5', true],
    ['rv.c1.>', 'rv.c1', false],
    ['rv.*', 'rv.c1.2', false],
    ['rv.c1.2', 'rv.c1.3', false],
    ['rv.c1.2.x', 'rv.c1.2', false],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected)
  })

  it('refuses wildcards, empty tokens and whitespace when publishing, naming the token', () => {
    expect(() => validatePublishSubject('rv.*.x')).toThrow(InvalidSubjectError)
    expect(() => validatePublishSubject('rv..x')).toThrow(/token 2/)
    expect(() => validatePublishSubject('rv.a b')).toThrow(/token 2/)
    expect(() => validatePublishSubject('')).toThrow(InvalidSubjectError)
    expect(() => validatePublishSubject('rv.c1.heartbeat.2')).not.toThrow()
  })

  it('allows * anywhere and > only last when subscribing', () => {
    expect(() => validateSubscribeSubject('rv.*.heartbeat.>')).not.toThrow()
    expect(() => validateSubscribeSubject('rv.>.x')).toThrow(/token 2/)
  })
})
