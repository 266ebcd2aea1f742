import { eventually, rejectionOf } from '@rivulet/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NatsServer, startNatsServer } from './nats-server-launcher.js'
import { NatsTransport, NatsUnreachableError, PayloadTooLargeError } from './nats-transport.js'
import { transportContract } from './test-support/transport-contract.js'

let server: NatsServer
beforeAll(async () => {
  server = await startNatsServer()
})
afterAll(() => server.stop())

transportContract(
  'NatsTransport',
  async () => {
    const [a, b] = await Promise.all([NatsTransport.connect({ servers: server.url }), NatsTransport.connect({ servers: server.url })])
    return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) }
  },
  // A request to a subject b serves, answered after b's earlier SUBs were processed by the server.
  async ({ a, b }) => {
    const subject = `flush.${Math.random().toString(36).slice(2)}`
    const probe = b.subscribe(subject, (m) => b.publish(m.reply!, new Uint8Array(0)))
    // No responders until b's SUB has reached the server.
    const answered = () => a.request(subject, new Uint8Array(0), { timeoutMs: 1_000 }).then(() => true, () => false)
    await eventually(answered, { what: "b's subscriptions at the server" })
    probe.unsubscribe()
  },
)

describe('NatsTransport', () => {
  it('refuses a payload over max_payload before sending, naming both sizes', async () => {
    const t = await NatsTransport.connect({ servers: server.url })
    try {
      const big = new Uint8Array(t.maxPayload + 1)
      const error = await rejectionOf(t.request('big', big, { timeoutMs: 1_000 }), PayloadTooLargeError)
      expect(error.message).toBe(`a message of ${t.maxPayload + 1} bytes on "big" is over the NATS server's max_payload of ${t.maxPayload} bytes`)
      expect(() => t.publish('big', big)).toThrow(PayloadTooLargeError)
    } finally {
      await t.close()
    }
  })

  it('rides out a server restart: a request during the outage fails retriably, subscriptions come back', async () => {
    const own = await startNatsServer()
    let restarted: NatsServer | undefined
    const a = await NatsTransport.connect({ servers: own.url })
    const b = await NatsTransport.connect({ servers: own.url })
    try {
      b.subscribe('svc.echo', (m) => b.publish(m.reply!, m.data))
      const echo = () => a.request('svc.echo', Buffer.from('hi'), { timeoutMs: 500 })
      await eventually(() => echo().then(() => true, () => false), { what: 'the echo service' })
      await own.stop()
      const during = await rejectionOf(echo())
      expect(['RequestTimeoutError', 'NoRespondersError']).toContain(during._tag)
      restarted = await startNatsServer({ port: Number(new URL(own.url).port) })
      await eventually(() => echo().then((reply) => Buffer.from(reply.data).toString() === 'hi', () => false), {
        what: 'the echo service after the restart',
        timeoutMs: 15_000,
      })
    } finally {
      await Promise.all([a.close(), b.close()])
      await restarted?.stop()
    }
  })

  it('reports an unreachable server within its connect timeout', async () => {
    const stopped = await startNatsServer()
    await stopped.stop()
    const error = await rejectionOf(NatsTransport.connect({ servers: stopped.url, connectTimeoutMs: 1_000 }), NatsUnreachableError)
    expect(error.message).toContain(`cannot reach NATS at ${stopped.url}`)
  })
})
