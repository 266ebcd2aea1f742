import { describe, expect, it } from 'vitest'
import { InProcessTransport } from './in-process-transport.js'
import type { TransportMessage } from './transport.js'

// The behaviour every transport shares is in in-process-transport.contract.test.ts.
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
})
