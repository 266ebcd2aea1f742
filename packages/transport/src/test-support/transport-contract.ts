/**
 * What every Transport must do, as one suite each implementation runs: two endpoints (two
 * connections, or one in-process transport used twice) see the same subjects, wildcards, replies,
 * headers and errors.
 */
import { eventually, rejectionOf } from '@rivulet/test-kit'
import { describe, expect, it, onTestFinished } from 'vitest'
import { InvalidSubjectError, NoRespondersError, RequestTimeoutError, TransportClosedError } from '../errors.js'
import type { Transport, TransportMessage } from '../transport.js'

export interface TransportPair {
  readonly a: Transport
  readonly b: Transport
  close(): Promise<void>
}

/** Resolves after every subscription made so far is in effect at the server (a request round trip through it). */
export type Flush = (pair: TransportPair) => Promise<void>

export const transportContract = (name: string, open: () => Promise<TransportPair>, flush: Flush): void => {
  const pair = async (): Promise<TransportPair> => {
    const opened = await open()
    onTestFinished(() => opened.close())
    return opened
  }

  describe(`${name} (the Transport contract)`, () => {
    it('delivers the same bytes and headers to exact, * and > subscribers of another endpoint, and not to others', async () => {
      const { a, b } = await pair()
      const seen: Array<[string, TransportMessage]> = []
      b.subscribe('rv.c1.0.broker', (m) => seen.push(['exact', m]))
      b.subscribe('rv.c1.*.broker', (m) => seen.push(['star', m]))
      b.subscribe('rv.c1.>', (m) => seen.push(['tail', m]))
      b.subscribe('rv.c2.>', (m) => seen.push(['other', m]))
      await flush({ a, b, close: async () => {} })
      const data = Buffer.from([0, 1, 2, 255, 254])
      a.publish('rv.c1.0.broker', data, { headers: { type: 'Ping', v: '1' } })
      await eventually(() => seen.length >= 3, { what: 'three deliveries' })
      expect(seen.map(([who]) => who).sort()).toEqual(['exact', 'star', 'tail'])
      for (const [, message] of seen) {
        expect(Buffer.from(message.data)).toEqual(data)
        expect(message.subject).toBe('rv.c1.0.broker')
        expect(message.headers).toMatchObject({ type: 'Ping', v: '1' })
      }
    })

    it('stops delivering after unsubscribe', async () => {
      const { a, b } = await pair()
      const got: string[] = []
      const subscription = b.subscribe('t.one', (m) => got.push(Buffer.from(m.data).toString()))
      b.subscribe('t.two', (m) => got.push(Buffer.from(m.data).toString()))
      await flush({ a, b, close: async () => {} })
      a.publish('t.one', Buffer.from('1'))
      await eventually(() => got.length === 1, { what: 'the first message' })
      subscription.unsubscribe()
      await flush({ a, b, close: async () => {} })
      a.publish('t.one', Buffer.from('dropped'))
      // A marker on another subject, published after: once it is seen, the dropped one would have been.
      a.publish('t.two', Buffer.from('2'))
      await eventually(() => got.length >= 2, { what: 'the marker' })
      expect(got).toEqual(['1', '2'])
    })

    it('answers a request through its reply subject, with headers both ways', async () => {
      const { a, b } = await pair()
      b.subscribe('svc.echo', (m) => b.publish(m.reply!, Buffer.concat([Buffer.from('re:'), Buffer.from(m.data)]), { headers: { seen: m.headers?.asked ?? '' } }))
      await flush({ a, b, close: async () => {} })
      const reply = await a.request('svc.echo', Buffer.from('x'), { timeoutMs: 5_000, headers: { asked: 'yes' } })
      expect(Buffer.from(reply.data).toString()).toBe('re:x')
      expect(reply.headers).toMatchObject({ seen: 'yes' })
    })

    it('fails a request nobody listens to with NoRespondersError, and an unanswered one with RequestTimeoutError', async () => {
      const { a, b } = await pair()
      expect(await rejectionOf(a.request('svc.none', Buffer.alloc(0), { timeoutMs: 5_000 }), NoRespondersError)).toMatchObject({ subject: 'svc.none' })
      b.subscribe('svc.silent', () => {})
      await flush({ a, b, close: async () => {} })
      const timedOut = await rejectionOf(a.request('svc.silent', Buffer.alloc(0), { timeoutMs: 50 }), RequestTimeoutError)
      expect(timedOut.message).toBe('request on "svc.silent" got no reply within 50 ms')
    })

    it('refuses bad subjects by name before sending', async () => {
      const { a } = await pair()
      expect(() => a.publish('a..b', Buffer.alloc(0))).toThrow(InvalidSubjectError)
      expect(() => a.publish('a.*', Buffer.alloc(0))).toThrow(InvalidSubjectError)
      expect(() => a.subscribe('a.>.b', () => {})).toThrow(InvalidSubjectError)
    })

    it('refuses use after close', async () => {
      const { a } = await pair()
      await a.close()
      expect(() => a.publish('a', Buffer.alloc(0))).toThrow(TransportClosedError)
      expect(() => a.subscribe('a', () => {})).toThrow(TransportClosedError)
      await rejectionOf(a.request('a', Buffer.alloc(0), { timeoutMs: 10 }), TransportClosedError)
    })
  })
}
