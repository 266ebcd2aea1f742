/**
 * The transport of the embedded mode: one process, delivery by function call, no copying.
 * Exact subjects are found in a map; wildcard subscriptions are few (one per node or service),
 * so they are matched in a list.
 */
import { NoRespondersError, RequestTimeoutError, TransportClosedError } from './errors.js'
import { subjectMatches, validatePublishSubject, validateSubscribeSubject } from './subject.js'
import type { MessageHandler, PublishOptions, RequestOptions, Subscription, Transport, TransportMessage } from './transport.js'

interface Entry {
  readonly subject: string
  readonly handler: MessageHandler
}

export class InProcessTransport implements Transport {
  private readonly exact = new Map<string, Set<Entry>>()
  private readonly wildcards = new Set<Entry>()
  private nextInbox = 0
  private closed = false

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): void {
    if (this.closed) throw new TransportClosedError({ subject })
    validatePublishSubject(subject)
    this.deliver({ subject, data, ...options })
  }

  subscribe(subject: string, handler: MessageHandler): Subscription {
    if (this.closed) throw new TransportClosedError({ subject })
    validateSubscribeSubject(subject)
    const entry: Entry = { subject, handler }
    const isWildcard = subject.includes('*') || subject.endsWith('>')
    if (isWildcard) this.wildcards.add(entry)
    else {
      const entries = this.exact.get(subject) ?? new Set<Entry>()
      entries.add(entry)
      this.exact.set(subject, entries)
    }
    return {
      subject,
      unsubscribe: () => {
        if (isWildcard) this.wildcards.delete(entry)
        else {
          const entries = this.exact.get(subject)
          entries?.delete(entry)
          if (entries?.size === 0) this.exact.delete(subject)
        }
      },
    }
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<TransportMessage> {
    if (this.closed) return Promise.reject(new TransportClosedError({ subject }))
    validatePublishSubject(subject)
    return new Promise((resolve, reject) => {
      const inbox = `_INBOX.${this.nextInbox++}`
      const timer = setTimeout(() => {
        subscription.unsubscribe()
        reject(new RequestTimeoutError({ subject, timeoutMs: options.timeoutMs }))
      }, options.timeoutMs)
      const subscription = this.subscribe(inbox, (reply) => {
        clearTimeout(timer)
        subscription.unsubscribe()
        resolve(reply)
      })
      const delivered = this.deliver({ subject, data, reply: inbox, ...(options.headers ? { headers: options.headers } : {}) })
      if (delivered === 0) {
        clearTimeout(timer)
        subscription.unsubscribe()
        reject(new NoRespondersError({ subject }))
      }
    })
  }

  async close(): Promise<void> {
    this.closed = true
    this.exact.clear()
    this.wildcards.clear()
  }

  private deliver(message: TransportMessage): number {
    let delivered = 0
    const entries = this.exact.get(message.subject)
    if (entries !== undefined) {
      for (const entry of [...entries]) {
        entry.handler(message)
        delivered++
      }
    }
    for (const entry of [...this.wildcards]) {
      if (subjectMatches(entry.subject, message.subject)) {
        entry.handler(message)
        delivered++
      }
    }
    return delivered
  }
}
