import { describe, expect, it } from 'vitest'
import { NoRespondersError, RequestTimeoutError, TransportClosedError } from './errors.js'
import { InProcessTransport } from './in-process-transport.js'
import type { TransportMessage } from './transport.js'

describe('InProcessTransport', () => {
  it('delivers the same bytes (no copy) to exact and wildcard subscribers', () => {
    const transport = new InProcessTransport()
    const seen: Array<[string, TransportMessage]> = []
    transport.subscribe('rv.c1.0.broker', (m) => seen.push(['exact', m]))
    transport.subscribe('rv.c1.*.broker', (m) => seen.push(['star', m]))
    transport.subscribe('rv.c2.>', (m) => seen.push(['other', m]))
    const data = Buffer.from('hello')
    transport.publish('rv.c1.0.broker', data, { headers: { type: 'Ping' } })
    expect(seen.map(([who]) => who)).toEqual(['exact', 'star'])
    expect(seen[0]![1].data).toBe(data)
    expect(seen[0]![1].headers).toEqual({ type: 'Ping' })
  })

  it('stops delivering after unsubscribe', () => {
    const transport = new InProcessTransport()
    let count = 0
    const subscription = transport.subscribe('a.b', () => count++)
    transport.publish('a.b', Buffer.alloc(0))
    subscription.unsubscribe()
    transport.publish('a.b', Buffer.alloc(0))
    expect(count).toBe(1)
  })

  it('answers a request through the reply subject', async () => {
    const transport = new InProcessTransport()
    transport.subscribe('svc.echo', (m) => transport.publish(m.reply!, Buffer.concat([Buffer.from('re:'), m.data])))
    const reply = await transport.request('svc.echo', Buffer.from('x'), { timeoutMs: 1000 })
    expect(Buffer.from(reply.data).toString()).toBe('re:x')
  })

  it('fails a request with no responder at once, and a silent one after its timeout', async () => {
    const transport = new InProcessTransport()
    await expect(transport.request('svc.none', Buffer.alloc(0), { timeoutMs: 1000 })).rejects.toBeInstanceOf(NoRespondersError)
    transport.subscribe('svc.silent', () => {})
    const error = await transport.request('svc.silent', Buffer.alloc(0), { timeoutMs: 20 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect((error as RequestTimeoutError).message).toBe('request on "svc.silent" got no reply within 20 ms')
  })

  it('refuses use after close', async () => {
    const transport = new InProcessTransport()
    await transport.close()
    expect(() => transport.publish('a', Buffer.alloc(0))).toThrow(TransportClosedError)
    await expect(transport.request('a', Buffer.alloc(0), { timeoutMs: 10 })).rejects.toBeInstanceOf(TransportClosedError)
  })
})
