/**
 * Test probes: an ActorRef that records what it is sent, so a test can expect messages in order
 * and answer requests itself, and a ReplyTo that records the answer an actor gives.
 *
 *   const probe = new TestProbe<StoreMessage>()
 *   const reply = replyProbe<number>()
 *   actor.tell({ _tag: 'Get', key: 'a', replyTo: reply })
 *   expect(await reply.expectReply()).toBe(1)
 */
import type { ActorPath } from '../actor-path.js'
import { parseActorPath } from '../actor-path.js'
import type { ActorRef, AskOptions, ReplyTo } from '../actor-ref.js'
import { PendingAsk } from '../ask.js'

// Real timers, captured before a test can fake them, so an expectation still times out.
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

let probes = 0

interface Waiter<T> {
  readonly resolve: (value: T) => void
  readonly reject: (error: Error) => void
  readonly timer: ReturnType<typeof setTimeout>
}

/** Values arriving one by one, taken in order by waiters with a deadline. */
class Inbox<T> {
  readonly items: T[] = []
  private taken = 0
  private readonly waiters: Waiter<T>[] = []

  put(item: T): void {
    this.items.push(item)
    const waiter = this.waiters.shift()
    if (waiter === undefined) return
    realClearTimeout(waiter.timer)
    this.taken++
    waiter.resolve(item)
  }

  next(timeoutMs: number, what: string): Promise<T> {
    if (this.taken < this.items.length) return Promise.resolve(this.items[this.taken++])
    return new Promise<T>((resolve, reject) => {
      const timer = realSetTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error(`expected ${what} within ${timeoutMs} ms, got none`))
      }, timeoutMs)
      const waiter: Waiter<T> = { resolve, reject, timer }
      this.waiters.push(waiter)
    })
  }

  async nothing(withinMs: number, what: string): Promise<void> {
    await new Promise((resolve) => realSetTimeout(resolve, withinMs))
    if (this.taken < this.items.length) {
      throw new Error(`expected no ${what} within ${withinMs} ms, got ${JSON.stringify(this.items[this.taken])}`)
    }
  }
}

export class TestProbe<M> {
  readonly ref: ActorRef<M>
  private readonly inbox = new Inbox<M>()

  constructor(path = `test.probe${++probes}`) {
    const actorPath: ActorPath = parseActorPath(path)
    const inbox = this.inbox
    this.ref = {
      path: actorPath,
      tell: (message: M) => inbox.put(message),
      // A probe answers asks only when the test replies through the recorded message's replyTo.
      ask: ((make: (replyTo: ReplyTo<unknown>) => M, options?: AskOptions) => {
        const pending = new PendingAsk<unknown>(actorPath, options?.timeoutMs ?? 5000)
        const message = make(pending)
        pending.start((message as { readonly _tag?: unknown })._tag)
        inbox.put(message)
        return pending.promise
      }) as ActorRef<M>['ask'],
    }
  }

  /** Every message received so far, in order. */
  get received(): readonly M[] {
    return this.inbox.items
  }

  /** The next message not yet expected; waits up to `timeoutMs` for it. */
  expectMessage(timeoutMs = 1000): Promise<M> {
    return this.inbox.next(timeoutMs, `a message at ${this.ref.path}`)
  }

  /** The next message, which must carry `_tag` equal to `tag`. */
  async expectMessageOfTag<Tag extends TagOf<M>>(tag: Tag, timeoutMs = 1000): Promise<Extract<M, { readonly _tag: Tag }>> {
    const message = await this.expectMessage(timeoutMs)
    const actual = (message as { readonly _tag?: unknown })._tag
    if (actual !== tag) throw new Error(`expected message ${tag} at ${this.ref.path}, got ${String(actual)}`)
    return message as Extract<M, { readonly _tag: Tag }>
  }

  /** Fails when a message not yet expected arrives within `withinMs`. */
  expectNoMessage(withinMs = 20): Promise<void> {
    return this.inbox.nothing(withinMs, `message at ${this.ref.path}`)
  }
}

type TagOf<M> = M extends { readonly _tag: infer Tag extends string } ? Tag : never

/** A ReplyTo that records the reply or failure an actor gives it. */
export class ReplyProbe<R> implements ReplyTo<R> {
  private readonly outcomes = new Inbox<{ readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: Error }>()

  reply(response: R): void {
    this.outcomes.put({ ok: true, value: response })
  }

  fail(error: Error): void {
    this.outcomes.put({ ok: false, error })
  }

  async expectReply(timeoutMs = 1000): Promise<R> {
    const outcome = await this.outcomes.next(timeoutMs, 'a reply')
    if (!outcome.ok) throw new Error(`expected a reply, got failure: ${outcome.error.message}`)
    return outcome.value
  }

  async expectFailure(timeoutMs = 1000): Promise<Error> {
    const outcome = await this.outcomes.next(timeoutMs, 'a failure')
    if (outcome.ok) throw new Error(`expected a failure, got reply ${JSON.stringify(outcome.value)}`)
    return outcome.error
  }
}

export const replyProbe = <R>(): ReplyProbe<R> => new ReplyProbe<R>()
