/**
 * An actor's behaviour: the object a factory builds, owning the actor's state. The runtime hands
 * it one message at a time; when `receive` returns a promise the mailbox waits for it, so state
 * is never touched by two messages at once even across awaits on storage.
 *
 * Each actor's protocol is a discriminated union declared beside its behaviour, handled by an
 * exhaustive switch:
 *
 *   receive(message: CounterMessage) {
 *     switch (message._tag) {
 *       case 'Increment': this.count += message.by; return
 *       case 'Get': return message.replyTo.reply(this.count)
 *       default: return absurd(message)
 *     }
 *   }
 */
import type { ActorPath } from './actor-path.js'
import type { ActorRef } from './actor-ref.js'
import type { ActorSystem } from './actor-system.js'
import type { SupervisorStrategy } from './supervision.js'

export interface Actor<M> {
  receive(message: M, context: ActorContext<M>): void | PromiseLike<void>
  /**
   * When defined, called instead of `receive` with every message queued (oldest first, at most
   * `throughput`), so an actor can handle a burst as one unit: a partition leader appends all
   * the produce requests that queued behind one fsync and then syncs once. If it throws, every
   * request of the batch not yet answered fails.
   */
  receiveBatch?(messages: readonly M[], context: ActorContext<M>): void | PromiseLike<void>
  /** After the factory, before the first message. Throwing counts as a failure of the actor. */
  preStart?(context: ActorContext<M>): void | PromiseLike<void>
  /** When the actor stops or before it restarts: release files and connections here. */
  postStop?(context: ActorContext<M>): void | PromiseLike<void>
}

/** Builds a fresh instance; called on spawn and on every restart, so state is rebuilt here. */
export type ActorFactory<M> = (context: ActorContext<M>) => Actor<M> | PromiseLike<Actor<M>>

export interface SpawnOptions {
  /** Default: stop (as in Pekko typed); a failing actor restarts only when asked to. */
  readonly supervision?: SupervisorStrategy
  /** Messages handled in a row before yielding to the event loop. Default: the system's. */
  readonly throughput?: number
}

export interface ActorContext<M> {
  readonly self: ActorRef<M>
  readonly path: ActorPath
  readonly system: ActorSystem
  /** Messages waiting in the mailbox behind the one being handled. */
  readonly queuedCount: number
  /** Spawns a child at `<this path>.<name>`; it stops when this actor stops or restarts. */
  spawn<C>(name: string | number, factory: ActorFactory<C>, options?: SpawnOptions): ActorRef<C>
  /** Stops this actor once the current message is handled. */
  stopSelf(): void
  /**
   * Turns the outcome of work done outside the actor into a message to itself, so the result
   * is applied to state inside a handler rather than in a callback.
   */
  pipeToSelf<T>(work: PromiseLike<T>, onSuccess: (value: T) => M, onFailure: (error: unknown) => M): void
}

/** For the `default` branch of an exhaustive switch over a protocol: a new message is a type error. */
export const absurd = (message: never): never => {
  throw new Error(`unhandled message ${JSON.stringify(message)}`)
}
