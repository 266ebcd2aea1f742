/**
 * A model-based test of PartitionFeed: random appends, pauses (also from inside an emit), resumes, seeks (to offsets inside,
 * below and past the log, and to earliest/latest), fetches that run out with nothing, and a
 * final stop, against a leader that serves an in-memory log (a long poll parks at the end of the
 * log, as the partition does). After every step the loop is let run until it waits, and the
 * feed must have emitted exactly the offsets the model expects, in order, none twice; hold no
 * bytes it has emitted; and report the resume position the model expects.
 */
import { encodeRecordBatch, OffsetOutOfRangeError } from '@rivulet/storage'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ActorRef } from '../actor/actor-ref.js'
import type { FetchResult, OffsetSpec, PartitionMessage } from '../partition/partition-protocol.js'
import type { ConsumedRecord } from './consumed-record.js'
import { decodeConsumerOptions } from './options.js'
import { type FeedHost, PartitionFeed, type StartPosition } from './partition-feed.js'
import { topic } from './topic.js'

interface ParkedFetch {
  readonly offset: bigint
  readonly reply: (result: FetchResult) => void
}

/** A partition's log in memory: whole batches, the oldest maybe deleted by retention. */
class FakeLog {
  batches: { readonly base: bigint; readonly count: number; readonly bytes: Buffer }[] = []
  start = 0n
  end = 0n
  parked: ParkedFetch | undefined = undefined

  append(count: number): void {
    const base = this.end
    const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${base + BigInt(i)}`) }))
    this.batches.push({ base, count, bytes: encodeRecordBatch(records, { baseOffset: base, now: 0 }) })
    this.end += BigInt(count)
    const parked = this.parked
    if (parked !== undefined) {
      this.parked = undefined
      parked.reply(this.read(parked.offset))
    }
  }

  /** Retention deletes the oldest batch. */
  deleteOldest(): void {
    const oldest = this.batches.shift()
    if (oldest !== undefined) this.start = oldest.base + BigInt(oldest.count)
  }

  /** The long poll ran out: answered with nothing. */
  expireParked(): void {
    const parked = this.parked
    this.parked = undefined
    parked?.reply(this.read(this.end))
  }

  /** Batches holding `offset` and after, at most two (a small fetchMaxBytes). */
  read(offset: bigint): FetchResult {
    const from = this.batches.filter((b) => b.base + BigInt(b.count) > offset).slice(0, 2)
    return { records: Buffer.concat(from.map((b) => b.bytes)), highWatermark: this.end, logStartOffset: this.start }
  }

  leader(): ActorRef<PartitionMessage> {
    const answer = (message: PartitionMessage): Promise<unknown> => {
      switch (message._tag) {
        case 'Fetch': {
          const { offset } = message
          if (offset < this.start || offset > this.end)
            return Promise.reject(new OffsetOutOfRangeError({ offset, logStartOffset: this.start, logEndOffset: this.end }))
          if (offset < this.end) return Promise.resolve(this.read(offset))
          expect(this.parked, 'one feed has one fetch out at a time').toBeUndefined()
          return new Promise((reply) => (this.parked = { offset, reply }))
        }
        case 'ListOffset':
          return Promise.resolve(message.spec === 'earliest' ? this.start : this.end)
        default:
          throw new Error(`the feed sent ${message._tag}`)
      }
    }
    const replyTo = { reply: () => {}, fail: () => {} }
    return {
      path: 'fake/leader',
      tell: () => {},
      ask: (make: (replyTo: never) => PartitionMessage) => answer(make(replyTo as never)),
    } as unknown as ActorRef<PartitionMessage>
  }
}

class FakeHost implements FeedHost {
  readonly options = decodeConsumerOptions({ autoOffsetReset: 'earliest', maxBufferedBytes: 1 << 20 })
  readonly emitted: bigint[] = []
  readonly failures: unknown[] = []
  acknowledging = false
  heldBytes = 0
  isClosed = false
  /** The pipeline pauses the feed from inside its emit once host.emitted is this long. */
  pauseAt: number | undefined = undefined
  feed: PartitionFeed | undefined = undefined
  private sequence = 0

  constructor(private readonly log: FakeLog) {}

  markAcknowledging(): void {
    this.acknowledging = true
  }
  hold(bytes: number): void {
    this.heldBytes += bytes
  }
  release(bytes: number): void {
    this.heldBytes -= bytes
  }
  hasRoom(): boolean {
    return this.heldBytes < this.options.maxBufferedBytes
  }
  waitForRoom(): void {
    throw new Error('the budget is never reached here')
  }
  countFetch(): void {}
  nextSequence(): number {
    return this.sequence++
  }
  peekSequence(): number {
    return this.sequence
  }
  acknowledged(): void {}
  requestCommit(): boolean {
    return false
  }
  emit(record: ConsumedRecord<unknown, unknown>): void {
    expect(Buffer.from(record.value as Buffer).toString()).toBe(`${record.offset}`)
    this.emitted.push(record.offset)
    if (this.emitted.length === this.pauseAt) {
      this.pauseAt = undefined
      this.feed!.pause()
    }
  }
  partitionGone(_feed: PartitionFeed, error: unknown): void {
    this.failures.push(error)
  }
  fail(error: unknown): void {
    this.failures.push(error)
  }
  deadLetter(): Promise<void> {
    throw new Error('no record fails to decode here')
  }
  leader(): Promise<ActorRef<PartitionMessage>> {
    return Promise.resolve(this.log.leader())
  }
}

/** The feed as it should be. */
interface Model {
  /**
   * Where the feed goes on from: the next offset it emits, or where it was moved to and has not
   * acted on yet (paused, or waiting out a stale fetch): a start to look up, or an offset the log
   * may not hold by the time the feed fetches it.
   */
  next: StartPosition
  paused: boolean
  /**
   * A seek came while a fetch was parked at the leader: the feed waits for that long poll to end
   * (an append or its expiry) and drops its answer before it fetches at the new position.
   */
  stale: boolean
  /** How many more records the feed emits before its pipeline pauses it. */
  pauseAfter: number | undefined
  logStart: bigint
  logEnd: bigint
}

interface Real {
  readonly log: FakeLog
  readonly host: FakeHost
  readonly feed: PartitionFeed
  /** How many of host.emitted were checked. */
  checked: number
}

/** Lets the loop run until it waits on something only a command can change (all fakes answer in microtasks). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

const check = (model: Model, real: Real): void => {
  expect(real.host.failures).toEqual([])
  const fresh = real.host.emitted.slice(real.checked)
  real.checked = real.host.emitted.length
  if (model.paused || model.stale) {
    expect(fresh, 'nothing is emitted while paused or waiting out a stale fetch').toEqual([])
  } else {
    // The feed looks its start up, or finds its offset outside the log and resets (autoOffsetReset 'earliest').
    let from = model.next === 'earliest' ? model.logStart : model.next === 'latest' ? model.logEnd : (model.next as bigint)
    if (from < model.logStart || from > model.logEnd) from = model.logStart
    let expected: bigint[] = []
    for (let offset = from; offset < model.logEnd; offset++) expected.push(offset)
    if (model.pauseAfter !== undefined && model.pauseAfter <= expected.length) {
      expected = expected.slice(0, model.pauseAfter)
      model.paused = true
      model.pauseAfter = undefined
    } else if (model.pauseAfter !== undefined) {
      model.pauseAfter -= expected.length
    }
    expect(fresh).toEqual(expected)
    model.next = from + BigInt(expected.length)
    if (!model.paused) expect(real.host.heldBytes, 'a batch emitted is let go when nobody acknowledges').toBe(0)
  }
  expect(real.feed.resumePosition(false)).toBe(typeof model.next === 'bigint' ? model.next : undefined)
}

type FeedCommand = fc.AsyncCommand<Model, Real>

const command = (name: string, run: (model: Model, real: Real) => void, when: (model: Model) => boolean = () => true): FeedCommand => ({
  check: when,
  async run(model, real) {
    run(model, real)
    await settle()
    check(model, real)
  },
  toString: () => name,
})

const append = (count: number): FeedCommand =>
  command(`append(${count})`, (model, real) => {
    real.log.append(count)
    model.logEnd += BigInt(count)
    model.stale = false
  })

const seek = (where: 'inside' | 'below-start' | 'past-end' | 'earliest' | 'latest', fraction: number): FeedCommand =>
  command(
    `seek(${where}${where === 'inside' ? ` ${fraction.toFixed(2)}` : ''})`,
    (model, real) => {
      const span = model.logEnd - model.logStart
      const inside = model.logStart + BigInt(Math.floor(Number(span) * fraction))
      const target: StartPosition =
        where === 'inside' ? inside : where === 'below-start' ? model.logStart - 1n : where === 'past-end' ? model.logEnd + 3n : (where satisfies OffsetSpec)
      model.stale ||= real.log.parked !== undefined
      real.feed.seek(target)
      model.next = target
    },
    (model) => where !== 'below-start' || model.logStart > 0n,
  )

const commands = [
  fc.integer({ min: 1, max: 5 }).map(append),
  fc.constant(command('pause', (model, real) => (real.feed.pause(), (model.paused = true)))),
  fc.integer({ min: 1, max: 6 }).map((count) =>
    command(
      `pause from the pipeline after ${count} more`,
      (model, real) => {
        model.pauseAfter = count
        real.host.pauseAt = real.host.emitted.length + count
      },
      (model) => !model.paused && model.pauseAfter === undefined,
    ),
  ),
  fc.constant(command('resume', (model, real) => (real.feed.resume(), (model.paused = false)))),
  fc.tuple(fc.constantFrom('inside' as const, 'below-start' as const, 'past-end' as const, 'earliest' as const, 'latest' as const), fc.double({ min: 0, max: 0.999, noNaN: true })).map(([where, f]) => seek(where, f)),
  fc.constant(
    command('expire the parked fetch', (model, real) => {
      real.log.expireParked()
      model.stale = false
    }),
  ),
  // Retention deletes only what the feed is past (a feed behind it is reset, as the seeks out of range show).
  fc.constant(
    command('delete the oldest batch', (model, real) => {
      const oldest = real.log.batches[0]
      if (oldest === undefined || typeof model.next !== 'bigint' || oldest.base + BigInt(oldest.count) > model.next) return
      real.log.deleteOldest()
      model.logStart = real.log.start
    }),
  ),
]

describe('PartitionFeed (model-based)', () => {
  it('emits every offset from where it was started or moved to, in order, once; nothing while paused; resumes where the model says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom<StartPosition>('earliest', 'latest', 0n),
        fc.commands(commands, { maxCommands: 40 }),
        async (initial, start, cmds) => {
          const log = new FakeLog()
          if (initial > 0) log.append(initial)
          const host = new FakeHost(log)
          const feed = new PartitionFeed(host, topic('t'), 0, start)
          host.feed = feed
          const model: Model = { next: start, paused: false, stale: false, pauseAfter: undefined, logStart: 0n, logEnd: log.end }
          const real: Real = { log, host, feed, checked: 0 }
          feed.run()
          await settle()
          check(model, real)
          try {
            await fc.asyncModelRun(() => ({ model, real }), cmds)
          } finally {
            feed.stop()
            log.expireParked()
            await settle()
          }
          expect(feed.phase).toBe('Stopped')
          expect(host.heldBytes, 'a stopped feed holds nothing').toBe(0)
          expect(host.failures).toEqual([])
        },
      ),
      { numRuns: 150 },
    )
  })
})
