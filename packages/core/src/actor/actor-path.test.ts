import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { actorPath, childPath, decodePathSegment, encodePathSegment, parseActorPath, pathNames } from './actor-path.js'
import { InvalidActorPathError } from './errors.js'

describe('actor paths', () => {
  it('builds the partition path of the design, escaping what NATS would split on', () => {
    expect(actorPath('c1', 2, 'partition', 'orders', 5)).toBe('c1.2.partition.orders.5')
    expect(actorPath('c1', 2, 'partition', 'orders.v2', 5)).toBe('c1.2.partition.orders~2Ev2.5')
    expect(actorPath('c1', 'group', 'billing team*')).toBe('c1.group.billing~20team~2A')
    expect(childPath(parseActorPath('c1.2'), 'é')).toBe('c1.2.~C3~A9')
  })

  it('refuses empty segments and characters outside the alphabet', () => {
    expect(() => parseActorPath('')).toThrow(InvalidActorPathError)
    expect(() => parseActorPath('a..b')).toThrow('segment 1 is empty')
    expect(() => parseActorPath('a.b>')).toThrow('segment 1 "b>" may hold only [A-Za-z0-9_-] and ~XX escapes')
    expect(() => parseActorPath('a.~zz')).toThrow(InvalidActorPathError)
    expect(() => actorPath('a', '')).toThrow('a segment cannot be empty')
    expect(() => actorPath()).toThrow(InvalidActorPathError)
  })

  test.prop([fc.array(fc.string({ unit: 'binary', minLength: 1 }), { minLength: 1, maxLength: 6 })])(
    'every list of names encodes to a valid path and decodes back',
    (names) => {
      const path = actorPath(...names)
      expect(parseActorPath(path)).toBe(path)
      expect(pathNames(path)).toEqual(names.map((name) => Buffer.from(name, 'utf8').toString('utf8')))
      for (const name of names) expect(encodePathSegment(name)).not.toMatch(/[.*> \t]/)
    },
  )

  it('decodes a plain segment to itself', () => {
    expect(decodePathSegment('orders_1-a')).toBe('orders_1-a')
  })
})
