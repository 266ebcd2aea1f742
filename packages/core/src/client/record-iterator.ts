/**
 * The pull form of a consumer Observable, for `for await`: records wait in a queue until next()
 * takes them, and taking one acknowledges it, so the consumer's fetching stays within
 * maxBufferedBytes of what the loop has taken. Breaking out of the loop unsubscribes.
 *
 *   for await (const record of consumer.iterate('orders', { from: 'earliest' })) { ... }
 */
import type { Observable, Subscription } from 'rxjs'
import { acknowledge, subscribeAcknowledging } from './acknowledgement.js'

export class RecordIterator<T> implements AsyncIterableIterator<T> {
  private queue: (T | undefined)[] = []
  private head = 0
  private waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined = undefined
  private subscription: Subscription | undefined = undefined
  private finished = false
  private failure: { readonly error: unknown } | undefined = undefined

  constructor(private readonly source: Observable<T>) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }

  next(): Promise<IteratorResult<T>> {
    if (this.subscription === undefined && !this.finished) this.subscribe()
    if (this.head < this.queue.length) return Promise.resolve({ value: this.take(), done: false })
    if (this.failure !== undefined) {
      const { error } = this.failure
      this.failure = undefined
      return Promise.reject(error)
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }))
  }

  /** Stops consuming (a `break` out of the loop calls this). */
  return(): Promise<IteratorResult<T>> {
    this.finished = true
    this.subscription?.unsubscribe()
    this.queue = []
    this.head = 0
    this.settle({ value: undefined, done: true })
    return Promise.resolve({ value: undefined, done: true })
  }

  private subscribe(): void {
    this.subscription = subscribeAcknowledging(this.source, {
      next: (value) => {
        if (this.waiter !== undefined) {
          acknowledge(value)
          this.settle({ value, done: false })
        } else {
          this.queue.push(value)
        }
      },
      error: (error: unknown) => {
        this.finished = true
        const waiter = this.waiter
        this.waiter = undefined
        if (waiter !== undefined) waiter.reject(error)
        else this.failure = { error }
      },
      complete: () => {
        this.finished = true
        this.settle({ value: undefined, done: true })
      },
    })
  }

  private take(): T {
    const value = this.queue[this.head] as T
    this.queue[this.head++] = undefined
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      // A queue that never empties would otherwise only grow.
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    acknowledge(value)
    return value
  }

  private settle(result: IteratorResult<T>): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.resolve(result)
  }
}
