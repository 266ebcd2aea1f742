import { Observable, of, Subject, throwError } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { isAcknowledgingSubscription } from './acknowledgement.js'
import { RecordIterator } from './record-iterator.js'

describe('RecordIterator', () => {
  it('subscribes on the first next(), yields in order, then ends', async () => {
    let subscribed = false
    const source = new Observable<number>((subscriber) => {
      subscribed = true
      subscriber.next(1)
      subscriber.next(2)
      subscriber.complete()
    })
    const iterator = new RecordIterator(source)
    expect(subscribed).toBe(false)
    const seen: number[] = []
    for await (const value of iterator) seen.push(value)
    expect(seen).toEqual([1, 2])
    expect(await iterator.next()).toEqual({ value: undefined, done: true })
  })

  it('yields what was queued before an error, then throws it', async () => {
    const iterator = new RecordIterator(new Observable<number>((subscriber) => {
      subscriber.next(1)
      subscriber.error(new Error('boom'))
    }))
    expect(await iterator.next()).toEqual({ value: 1, done: false })
    await expect(iterator.next()).rejects.toThrow('boom')
    await expect(new RecordIterator(throwError(() => new Error('at once'))).next()).rejects.toThrow('at once')
  })

  it('waits for values that come later and unsubscribes on return()', async () => {
    const subject = new Subject<string>()
    const iterator = new RecordIterator(subject)
    const first = iterator.next()
    subject.next('later')
    expect(await first).toEqual({ value: 'later', done: false })
    const pending = iterator.next()
    await iterator.return()
    expect(await pending).toEqual({ value: undefined, done: true })
    expect(subject.observed).toBe(false)
  })

  it('subscribes as an acknowledging pipeline, so consumers wait for what it takes', async () => {
    let flag: boolean | undefined
    const source = new Observable<number>((subscriber) => {
      flag = isAcknowledgingSubscription()
      subscriber.complete()
    })
    await new RecordIterator(source).next()
    expect(flag).toBe(true)
    expect(isAcknowledgingSubscription()).toBe(false)
    expect((await new RecordIterator(of(1, 2)).next()).value).toBe(1)
  })
})
