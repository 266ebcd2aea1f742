/** Failures of the transport, each carrying the subject it concerns. */
import { Data } from 'effect'

export class InvalidSubjectError extends Data.TaggedError('InvalidSubjectError')<{
  readonly subject: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid subject "${this.subject}": ${this.reason}`
  }
}

export class NoRespondersError extends Data.TaggedError('NoRespondersError')<{ readonly subject: string }> {
  override get message(): string {
    return `no responders for request on "${this.subject}"`
  }
}

export class RequestTimeoutError extends Data.TaggedError('RequestTimeoutError')<{
  readonly subject: string
  readonly timeoutMs: number
}> {
  override get message(): string {
    return `request on "${this.subject}" got no reply within ${this.timeoutMs} ms`
  }
}

export class TransportClosedError extends Data.TaggedError('TransportClosedError')<{ readonly subject: string }> {
  override get message(): string {
    return `transport is closed (subject "${this.subject}")`
  }
}
