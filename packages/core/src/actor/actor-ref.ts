/**
 * How actors are reached. `tell` sends and forgets; `ask` builds a request around a fresh reply
 * handle and returns a Promise of the response. As in Pekko typed, a request message carries its
 * reply handle in a field named `replyTo`, typed with the response, so a protocol states what
 * each request answers:
 *
 *   type CounterMessage =
 *     | { readonly _tag: 'Increment'; readonly by: number }
 *     | { readonly _tag: 'Get'; readonly replyTo: ReplyTo<number> }
 *   const count = await counter.ask((replyTo) => ({ _tag: 'Get', replyTo }))   // Promise<number>
 *
 * The runtime relies on that field name: when a handler throws, or the actor stops, the message's
 * `replyTo` is failed so the asker gets an error rather than waiting for its timeout.
 */
import type { ActorPath } from './actor-path.js'

/** Where a response goes. The first reply or failure wins; later ones are ignored. */
export interface ReplyTo<in R> {
  reply(response: R): void
  fail(error: Error): void
}

/** The messages of protocol `M` that are requests (carry a `replyTo`). */
export type RequestOf<M> = Extract<M, { readonly _tag: string; readonly replyTo: ReplyTo<never> }>

/** What a request message is answered with. */
export type ResponseOf<Request> = Request extends { readonly replyTo: ReplyTo<infer R> } ? R : never

/** The response to the request of protocol `M` tagged `Tag`. */
export type ResponseFor<M, Tag> = ResponseOf<Extract<M, { readonly _tag: Tag }>>

export interface AskOptions {
  /** Fails the ask with AskTimeoutError after this long; the system default when absent. */
  readonly timeoutMs?: number
}

export interface ActorRef<M> {
  readonly path: ActorPath
  /** Enqueues the message; never throws. To a stopped actor, a request's `replyTo` is failed. */
  tell(message: M): void
  /**
   * Sends the request `make` builds and resolves with its reply; rejects with AskTimeoutError,
   * ActorStoppedError or ActorFailedError (the handler threw) instead of hanging.
   */
  ask<Request extends RequestOf<M>>(
    // The handle is typed loosely here; the request it is placed in fixes the response type.
    make: (replyTo: ReplyTo<any>) => Request,
    options?: AskOptions,
  ): Promise<ResponseFor<M, Request['_tag']>>
}

/** The `replyTo` of a message, when it has one the runtime can fail. */
export const replyToOf = (message: unknown): ReplyTo<never> | undefined => {
  if (typeof message !== 'object' || message === null) return undefined
  const replyTo = (message as { readonly replyTo?: unknown }).replyTo
  if (typeof replyTo !== 'object' || replyTo === null) return undefined
  return typeof (replyTo as ReplyTo<never>).fail === 'function' ? (replyTo as ReplyTo<never>) : undefined
}

/** The reply handles carried by these messages. */
export const repliesIn = (messages: Iterable<unknown>): Set<ReplyTo<never>> => {
  const replies = new Set<ReplyTo<never>>()
  for (const message of messages) {
    const replyTo = replyToOf(message)
    if (replyTo !== undefined) replies.add(replyTo)
  }
  return replies
}
