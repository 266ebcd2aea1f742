/**
 * Moving bytes between places. Subjects are NATS-style dot-separated tokens; a subscription may
 * use `*` (one token) and `>` (one or more trailing tokens). The in-process implementation and the
 * NATS one keep the same semantics, so actors can be reached by the same path either way.
 */

export interface TransportMessage {
  readonly subject: string
  /** Carried as is: never copied in-process, never base64'd over the wire. */
  readonly data: Uint8Array
  readonly headers?: Readonly<Record<string, string>>
  /** Where a reply goes, when the sender asked for one. */
  readonly reply?: string
}

export type MessageHandler = (message: TransportMessage) => void

export interface Subscription {
  readonly subject: string
  unsubscribe(): void
}

export interface PublishOptions {
  readonly headers?: Readonly<Record<string, string>>
  readonly reply?: string
}

export interface RequestOptions {
  readonly timeoutMs: number
  readonly headers?: Readonly<Record<string, string>>
}

export interface Transport {
  publish(subject: string, data: Uint8Array, options?: PublishOptions): void
  subscribe(subject: string, handler: MessageHandler): Subscription
  /** Publishes with a fresh reply subject and resolves with the first reply. */
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<TransportMessage>
  close(): Promise<void>
}
