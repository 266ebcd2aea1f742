/**
 * The one promise an ask costs: PendingAsk is both the reply handle put in the request and the
 * settle-once state behind the asker's Promise. Each ask is linked into an AskList owned by its
 * target (an intrusive list: O(1) add and remove, no allocation), so stopping or restarting the
 * target can fail every ask it had not answered.
 */
import type { ReplyTo } from './actor-ref.js'
import { AskTimeoutError } from './errors.js'

/** The list holds asks of every response type and never reads the response. */
type AnyAsk = PendingAsk<any>

export class PendingAsk<R> implements ReplyTo<R> {
  readonly promise: Promise<R>
  messageTag: string | undefined = undefined
  /** Links of the AskList this ask is in. */
  prev: AnyAsk | undefined = undefined
  next: AnyAsk | undefined = undefined
  list: AskList | undefined = undefined
  private resolvePromise!: (response: R) => void
  private rejectPromise!: (error: Error) => void
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private settled = false

  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolvePromise = resolve
      this.rejectPromise = reject
    })
  }

  /** Arms the timeout; after the request is built, so the error can name its tag. */
  start(messageTag: unknown): void {
    if (typeof messageTag === 'string') this.messageTag = messageTag
    // A delay past 2^31-1 ms would fire at once in Node; treat it as no timeout at all.
    if (this.timeoutMs <= 0x7fffffff && !this.settled) this.timer = setTimeout(timeOut, this.timeoutMs, this)
  }

  get isSettled(): boolean {
    return this.settled
  }

  reply(response: R): void {
    if (this.finish()) this.resolvePromise(response)
  }

  fail(error: Error): void {
    if (this.finish()) this.rejectPromise(error)
  }

  private finish(): boolean {
    if (this.settled) return false
    this.settled = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.list?.remove(this)
    return true
  }
}

const timeOut = (ask: AnyAsk): void => {
  ask.fail(new AskTimeoutError({ path: ask.path, messageTag: ask.messageTag, timeoutMs: ask.timeoutMs }))
}

/** The unanswered asks sent to one target. */
export class AskList {
  private head: AnyAsk | undefined = undefined

  add(ask: AnyAsk): void {
    ask.list = this
    ask.next = this.head
    if (this.head !== undefined) this.head.prev = ask
    this.head = ask
  }

  remove(ask: AnyAsk): void {
    if (ask.prev !== undefined) ask.prev.next = ask.next
    else this.head = ask.next
    if (ask.next !== undefined) ask.next.prev = ask.prev
    ask.prev = ask.next = ask.list = undefined
  }

  /** Fails every ask not in `keep` with the error `errorFor` makes. */
  failAll(errorFor: () => Error, keep?: ReadonlySet<unknown>): void {
    let ask = this.head
    while (ask !== undefined) {
      const next = ask.next
      if (keep === undefined || !keep.has(ask)) ask.fail(errorFor())
      ask = next
    }
  }
}
