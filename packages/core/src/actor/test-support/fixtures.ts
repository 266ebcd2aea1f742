/** Small actors and helpers shared by the actor runtime's tests. */
import type { Actor } from '../actor.js'
import { absurd } from '../actor.js'
import type { ReplyTo } from '../actor-ref.js'
import { ActorSystem, type ActorSystemOptions } from '../actor-system.js'
import type { ActorFailure } from '../supervision.js'

export type CounterMessage =
  | { readonly _tag: 'Increment'; readonly by: number }
  | { readonly _tag: 'Get'; readonly replyTo: ReplyTo<number> }
  | { readonly _tag: 'Fail'; readonly reason: string; readonly replyTo: ReplyTo<number> }
  | { readonly _tag: 'FailLater'; readonly reason: string }
  /** Keeps the handle without answering, as a partition keeps an acks=all produce. */
  | { readonly _tag: 'Hold'; readonly replyTo: ReplyTo<number> }
  | { readonly _tag: 'Wait'; readonly until: Promise<unknown>; readonly replyTo: ReplyTo<number> }

/** A counter whose starting value comes from `storage`, and which writes every change back. */
export class CounterActor implements Actor<CounterMessage> {
  readonly held: ReplyTo<number>[] = []
  constructor(
    private count: number,
    private readonly storage?: { value: number },
  ) {}

  async receive(message: CounterMessage): Promise<void> {
    switch (message._tag) {
      case 'Increment':
        this.count += message.by
        if (this.storage !== undefined) this.storage.value = this.count
        return
      case 'Get':
        return message.replyTo.reply(this.count)
      case 'Fail':
        throw new Error(message.reason)
      case 'FailLater':
        await Promise.resolve()
        throw new Error(message.reason)
      case 'Hold':
        this.held.push(message.replyTo)
        return
      case 'Wait':
        await message.until
        return message.replyTo.reply(this.count)
      default:
        return absurd(message)
    }
  }
}

export interface Gate {
  readonly promise: Promise<void>
  open(): void
}

export const gate = (): Gate => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** A system whose failures are collected instead of printed. */
export const quietSystem = (options: ActorSystemOptions = {}): { system: ActorSystem; failures: ActorFailure[] } => {
  const failures: ActorFailure[] = []
  const system = new ActorSystem({ onFailure: (failure) => failures.push(failure), ...options })
  return { system, failures }
}

/** Lets queued microtasks and one event-loop turn run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

