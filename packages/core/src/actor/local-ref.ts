/**
 * The two faces of an in-process actor: the ActorRef others send to, which hands over the message
 * object itself (no copy, no serialization), and the ActorContext its behaviour sees.
 */
import type { ActorContext, ActorFactory, SpawnOptions } from './actor.js'
import type { ActorCell } from './actor-cell.js'
import type { ActorPath } from './actor-path.js'
import type { ActorRef, AskOptions, ReplyTo } from './actor-ref.js'
import type { ActorSystem } from './actor-system.js'
import { PendingAsk } from './ask.js'

/** The in-process ActorRef: delivers the message object itself, no copy. */
export class LocalActorRef<M> implements ActorRef<M> {
  readonly path: ActorPath

  constructor(readonly cell: ActorCell<M>) {
    this.path = cell.path
  }

  tell(message: M): void {
    this.cell.tell(message)
  }

  // The interface types the handle loosely and the response precisely; here a request is a message.
  ask(make: (replyTo: ReplyTo<any>) => M, options?: AskOptions): Promise<never> {
    const pending = new PendingAsk<unknown>(this.path, options?.timeoutMs ?? this.cell.host.askTimeoutMs)
    let message: M
    try {
      message = make(pending)
    } catch (error) {
      return Promise.reject(error)
    }
    this.cell.asks.add(pending)
    pending.start((message as { readonly _tag?: unknown })._tag)
    this.cell.tell(message)
    return pending.promise as Promise<never>
  }
}

export class CellContext<M> implements ActorContext<M> {
  constructor(private readonly cell: ActorCell<M>) {}

  get self(): ActorRef<M> {
    return this.cell.ref
  }
  get path(): ActorPath {
    return this.cell.path
  }
  get system(): ActorSystem {
    return this.cell.host.system
  }
  get queuedCount(): number {
    return this.cell.queuedCount
  }
  spawn<C>(name: string | number, factory: ActorFactory<C>, options?: SpawnOptions): ActorRef<C> {
    return this.cell.spawnChild(name, factory, options)
  }
  stopSelf(): void {
    void this.cell.stop('stopped itself')
  }
  pipeToSelf<T>(work: PromiseLike<T>, onSuccess: (value: T) => M, onFailure: (error: unknown) => M): void {
    work.then(
      (value) => this.cell.tell(onSuccess(value)),
      (error: unknown) => this.cell.tell(onFailure(error)),
    )
  }
}
