import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { Mailbox } from './mailbox.js'

describe('Mailbox', () => {
  it('is FIFO across wrap-around and growth', () => {
    const mailbox = new Mailbox<number>(8)
    const expected: number[] = []
    let next = 0
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round % 13; i++) {
        mailbox.push(next)
        expected.push(next++)
      }
      for (let i = 0; i < round % 5 && mailbox.length > 0; i++) expect(mailbox.shift()).toBe(expected.shift())
    }
    expect(mailbox.drain()).toEqual(expected)
    expect(mailbox.length).toBe(0)
  })

  test.prop([fc.array(fc.oneof(fc.nat(), fc.constant('shift' as const), fc.record({ take: fc.nat(6) })), { maxLength: 300 })])(
    'behaves like an array used as a queue',
    (operations) => {
      const mailbox = new Mailbox<number>(1)
      const reference: number[] = []
      for (const operation of operations) {
        if (typeof operation === 'number') {
          mailbox.push(operation)
          reference.push(operation)
        } else if (operation === 'shift') {
          if (reference.length > 0) expect(mailbox.shift()).toBe(reference.shift())
        } else {
          expect(mailbox.take(operation.take)).toEqual(reference.splice(0, operation.take))
        }
        expect(mailbox.length).toBe(reference.length)
        expect(mailbox.toArray()).toEqual(reference)
        expect(mailbox.peek(0)).toBe(reference[0])
        expect(mailbox.peek(reference.length - 1)).toBe(reference[reference.length - 1])
      }
    },
  )
})
