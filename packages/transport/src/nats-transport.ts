/**
 * The transport between processes: the Transport interface over a NATS connection, with the same
 * subject rules and errors as the in-process one (subjects are checked here the same way before
 * NATS sees them). Payloads go as they are (record batch bytes are never re-encoded); a payload
 * over the server's max_payload is refused before sending, naming both sizes. While the client
 * reconnects, subscriptions are kept by the client library and come back; requests in flight
 * fail with RequestTimeoutError (retriable) rather than hang.
 */
import { connect, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, RequestError, TimeoutError } from '@nats-io/transport-node'
import { Data } from 'effect'
import { NoRespondersError, RequestTimeoutError, TransportClosedError } from './errors.js'
import { validatePublishSubject, validateSubscribeSubject } from './subject.js'
import type { MessageHandler, PublishOptions, RequestOptions, Subscription, Transport, TransportMessage } from './transport.js'

export class PayloadTooLargeError extends Data.TaggedError('PayloadTooLargeError')<{
  readonly subject: string
  readonly bytes: number
  readonly maxPayload: number
}> {
  override get message(): string {
    return `a message of ${this.bytes} bytes on "${this.subject}" is over the NATS server's max_payload of ${this.maxPayload} bytes`
  }
}

export class NatsUnreachableError extends Data.TaggedError('NatsUnreachableError')<{
  readonly servers: readonly string[]
  readonly reason: string
}> {
  override get message(): string {
    return `cannot reach NATS at ${this.servers.join(', ')}: ${this.reason}`
  }
}

export interface NatsTransportOptions {
  readonly servers: string | readonly string[]
  /** The connection's name, as the server's monitoring shows it. */
  readonly name?: string
  /** How long the first connection may take; default 5 s. */
  readonly connectTimeoutMs?: number
}

const toHeaders = (given: Readonly<Record<string, string>> | undefined): MsgHdrs | undefined => {
  if (given === undefined) return undefined
  const h = natsHeaders()
  for (const [key, value] of Object.entries(given)) h.set(key, value)
  return h
}

const fromHeaders = (h: MsgHdrs | undefined): Readonly<Record<string, string>> | undefined => {
  if (h === undefined) return undefined
  const out: Record<string, string> = {}
  for (const key of h.keys()) out[key] = h.get(key)
  return out
}

const toMessage = (msg: Msg): TransportMessage => {
  const headers = fromHeaders(msg.headers)
  return {
    subject: msg.subject,
    data: msg.data,
    ...(headers !== undefined ? { headers } : {}),
    ...(msg.reply !== undefined && msg.reply !== '' ? { reply: msg.reply } : {}),
  }
}

export class NatsTransport implements Transport {
  private closed = false

  private constructor(private readonly nc: NatsConnection) {}

  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers]
    try {
      const nc = await connect({
        servers,
        ...(options.name !== undefined ? { name: options.name } : {}),
        timeout: options.connectTimeoutMs ?? 5_000,
        // Keep reconnecting for as long as the process runs: a NATS cluster election or restart
        // is an outage to ride out, not a reason to give up.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      })
      return new NatsTransport(nc)
    } catch (error) {
      throw new NatsUnreachableError({ servers, reason: error instanceof Error ? error.message : String(error) })
    }
  }

  /** The largest payload the connected server takes. */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024
  }

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): void {
    if (this.closed) throw new TransportClosedError({ subject })
    validatePublishSubject(subject)
    this.checkSize(subject, data)
    const headers = toHeaders(options.headers)
    this.nc.publish(subject, data, { ...(headers !== undefined ? { headers } : {}), ...(options.reply !== undefined ? { reply: options.reply } : {}) })
  }

  subscribe(subject: string, handler: MessageHandler): Subscription {
    if (this.closed) throw new TransportClosedError({ subject })
    validateSubscribeSubject(subject)
    const sub = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error === null) handler(toMessage(msg))
      },
    })
    return { subject, unsubscribe: () => sub.unsubscribe() }
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<TransportMessage> {
    if (this.closed) throw new TransportClosedError({ subject })
    validatePublishSubject(subject)
    this.checkSize(subject, data)
    const headers = toHeaders(options.headers)
    try {
      const reply = await this.nc.request(subject, data, { timeout: options.timeoutMs, ...(headers !== undefined ? { headers } : {}) })
      return toMessage(reply)
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) throw new NoRespondersError({ subject })
      if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
        throw new RequestTimeoutError({ subject, timeoutMs: options.timeoutMs })
      }
      if (this.closed || this.nc.isClosed()) throw new TransportClosedError({ subject })
      throw error
    }
  }

  /** Lets what was published reach the server, then closes. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.nc.drain().catch(() => this.nc.close())
  }

  private checkSize(subject: string, data: Uint8Array): void {
    const maxPayload = this.maxPayload
    if (data.byteLength > maxPayload) throw new PayloadTooLargeError({ subject, bytes: data.byteLength, maxPayload })
  }
}
