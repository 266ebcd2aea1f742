/** Failures of the actor runtime a caller can meet, as tagged errors carrying their facts. */
import { Data } from 'effect'

/** The message of a thrown value, whatever was thrown. */
export const describeCause = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** An ask got no reply within its timeout; the actor may still process the message later. */
export class AskTimeoutError extends Data.TaggedError('AskTimeoutError')<{
  readonly path: string
  /** The `_tag` of the request message, when it had one. */
  readonly messageTag: string | undefined
  readonly timeoutMs: number
}> {
  override get message(): string {
    const what = this.messageTag === undefined ? '' : ` (${this.messageTag})`
    return `ask to ${this.path}${what} got no reply within ${this.timeoutMs} ms`
  }
}

/** The actor is stopped or stopping: a message sent to it, or an ask it had not answered, fails. */
export class ActorStoppedError extends Data.TaggedError('ActorStoppedError')<{
  readonly path: string
  /** Why it stopped: `stopped by request`, `actor system shut down`, `restart limit ...`. */
  readonly reason: string
}> {
  override get message(): string {
    return `actor ${this.path} is stopped (${this.reason})`
  }
}

/** No live actor at this path. */
export class ActorNotFoundError extends Data.TaggedError('ActorNotFoundError')<{
  readonly path: string
}> {
  override get message(): string {
    return `no actor at ${this.path}`
  }
}

/** An actor's handler (or its factory / preStart) threw while handling the asker's message. */
export class ActorFailedError extends Data.TaggedError('ActorFailedError')<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `actor ${this.path} failed: ${describeCause(this.cause)}`
  }
}

/** A path that is not a dot-separated list of valid segments. */
export class InvalidActorPathError extends Data.TaggedError('InvalidActorPathError')<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid actor path ${JSON.stringify(this.path)}: ${this.reason}`
  }
}

/** Spawning at a path where a live actor already is. */
export class ActorPathTakenError extends Data.TaggedError('ActorPathTakenError')<{
  readonly path: string
}> {
  override get message(): string {
    return `an actor already lives at ${this.path}`
  }
}

export type ActorError =
  | AskTimeoutError
  | ActorStoppedError
  | ActorNotFoundError
  | ActorFailedError
  | InvalidActorPathError
  | ActorPathTakenError
