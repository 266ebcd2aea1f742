import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import type { Actor } from './actor.js'
import type { ReplyTo } from './actor-ref.js'
import {
  ActorNotFoundError,
  ActorPathTakenError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidActorPathError,
} from './errors.js'
import { CounterActor, type CounterMessage, gate, quietSystem, settle } from './test-support/fixtures.js'
import { replyProbe, TestProbe } from './test-support/probe.js'

type LogMessage =
  | { readonly _tag: 'Record'; readonly value: number }
  | { readonly _tag: 'Log'; readonly replyTo: ReplyTo<readonly number[]> }

const logActor = (): Actor<LogMessage> => {
  const seen: number[] = []
  return {
    receive(message) {
      if (message._tag === 'Record') seen.push(message.value)
      else message.replyTo.reply([...seen])
    },
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('ActorSystem messaging', () => {
  it('delivers tells to one actor in the order sent, across yields to the event loop', async () => {
    const { system } = quietSystem({ throughput: 7 })
    const ref = system.spawn('test.log', logActor)
    for (let i = 0; i < 1000; i++) ref.tell({ _tag: 'Record', value: i })
    const log = await ref.ask((replyTo) => ({ _tag: 'Log', replyTo }))
    expect(log).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    await system.shutdown()
  })

  it('runs one message at a time even when handlers await', async () => {
    const { system } = quietSystem()
    let active = 0
    let maxActive = 0
    const ref = system.spawn<{ readonly _tag: 'Bump' } | { readonly _tag: 'Read'; readonly replyTo: ReplyTo<number> }>(
      'test.bumper',
      () => {
        let count = 0
        return {
          async receive(message) {
            active++
            maxActive = Math.max(maxActive, active)
            // Read, wait, write: two messages interleaving here would lose an update.
            const before = count
            await new Promise((resolve) => setTimeout(resolve, Math.random() < 0.5 ? 0 : 1))
            await Promise.resolve()
            if (message._tag === 'Bump') count = before + 1
            else message.replyTo.reply(count)
            active--
          },
        }
      },
    )
    for (let i = 0; i < 40; i++) ref.tell({ _tag: 'Bump' })
    expect(await ref.ask((replyTo) => ({ _tag: 'Read', replyTo }))).toBe(40)
    expect(maxActive).toBe(1)
    await system.shutdown()
  })

  it('types an ask by the request it builds', async () => {
    const { system } = quietSystem()
    const ref = system.spawn<CounterMessage>('test.counter', () => new CounterActor(0))
    ref.tell({ _tag: 'Increment', by: 5 })
    const count = ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))
    expectTypeOf(count).toEqualTypeOf<Promise<number>>()
    expect(await count).toBe(5)
    // @ts-expect-error Increment carries no replyTo, so it cannot be asked
    void ref.ask((replyTo) => ({ _tag: 'Increment', by: 1, replyTo })).catch(() => {})
    await system.shutdown()
  })

  it('fails an unanswered ask with AskTimeoutError after timeoutMs', async () => {
    const { system } = quietSystem()
    const ref = system.spawn<CounterMessage>('test.silent', () => new CounterActor(0))
    await settle()
    vi.useFakeTimers()
    let outcome: unknown
    ref.ask((replyTo) => ({ _tag: 'Hold', replyTo }), { timeoutMs: 1000 }).catch((error: unknown) => {
      outcome = error
    })
    await vi.advanceTimersByTimeAsync(999)
    expect(outcome).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(outcome).toBeInstanceOf(AskTimeoutError)
    expect(outcome).toMatchObject({ path: 'test.silent', timeoutMs: 1000, messageTag: 'Hold' })
    expect((outcome as Error).message).toBe('ask to test.silent (Hold) got no reply within 1000 ms')
    vi.useRealTimers()
    await system.shutdown()
  })

  it('queues messages sent while an async factory runs, and runs preStart first', async () => {
    const { system } = quietSystem()
    const opened = gate()
    const events: string[] = []
    const ref = system.spawn<CounterMessage>('test.slow-start', async () => {
      await opened.promise
      events.push('factory')
      const actor = new CounterActor(10)
      return Object.assign(actor, { preStart: () => void events.push('preStart') })
    })
    ref.tell({ _tag: 'Increment', by: 1 })
    const count = ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))
    await settle()
    opened.open()
    expect(await count).toBe(11)
    expect(events).toEqual(['factory', 'preStart'])
    await system.shutdown()
  })

  it('hands a batching actor everything that queued while it was busy', async () => {
    const { system } = quietSystem()
    const batches: number[][] = []
    const firstSync = gate()
    type Append = { readonly _tag: 'Append'; readonly value: number; readonly replyTo: ReplyTo<number> }
    const ref = system.spawn<Append>('test.group-commit', () => ({
      receive: () => {
        throw new Error('receiveBatch is used instead')
      },
      async receiveBatch(messages) {
        batches.push(messages.map((message) => message.value))
        if (batches.length === 1) await firstSync.promise
        for (const message of messages) message.replyTo.reply(batches.length)
      },
    }))
    const first = ref.ask((replyTo) => ({ _tag: 'Append', value: 0, replyTo }))
    await settle()
    const rest = [1, 2, 3, 4, 5].map((value) => ref.ask((replyTo) => ({ _tag: 'Append', value, replyTo })))
    firstSync.open()
    expect(await first).toBe(1)
    expect(await Promise.all(rest)).toEqual([2, 2, 2, 2, 2])
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5]])
    await system.shutdown()
  })

  it('fails every unanswered request of a batch whose handler throws', async () => {
    const { system } = quietSystem()
    type Append = { readonly _tag: 'Append'; readonly value: number; readonly replyTo: ReplyTo<number> }
    const ref = system.spawn<Append>('test.failing-batch', () => ({
      receive() {},
      receiveBatch(messages) {
        messages[0].replyTo.reply(messages[0].value)
        throw new Error('fsync failed')
      },
    }))
    const asks = [1, 2, 3].map((value) => ref.ask((replyTo) => ({ _tag: 'Append', value, replyTo })))
    const outcomes = await Promise.allSettled(asks)
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 })
    for (const outcome of outcomes.slice(1)) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { _tag: 'ActorFailedError', path: 'test.failing-batch' } })
    }
  })

  it('rejects, rather than throws, when building the request throws', async () => {
    const { system } = quietSystem()
    const ref = system.spawn<CounterMessage>('test.counter', () => new CounterActor(0))
    const ask = ref.ask(() => {
      throw new Error('cannot build')
    })
    await expect(ask).rejects.toThrow('cannot build')
    await system.shutdown()
  })

  it('pipes the outcome of outside work back as a message', async () => {
    const { system } = quietSystem()
    const probe = new TestProbe<string>()
    type PipeMessage = { readonly _tag: 'Start'; readonly work: Promise<number> } | { readonly _tag: 'Done'; readonly text: string }
    const ref = system.spawn<PipeMessage>('test.piper', () => ({
      receive(message, context) {
        if (message._tag === 'Done') return probe.ref.tell(message.text)
        context.pipeToSelf(
          message.work,
          (value) => ({ _tag: 'Done', text: `ok ${value}` }),
          (error) => ({ _tag: 'Done', text: `failed ${(error as Error).message}` }),
        )
      },
    }))
    ref.tell({ _tag: 'Start', work: Promise.resolve(7) })
    expect(await probe.expectMessage()).toBe('ok 7')
    ref.tell({ _tag: 'Start', work: Promise.reject(new Error('disk gone')) })
    expect(await probe.expectMessage()).toBe('failed disk gone')
    await system.shutdown()
  })
})

describe('ActorSystem paths', () => {
  it('finds actors by path and refuses a taken or invalid one', async () => {
    const { system } = quietSystem()
    const ref = system.spawn('c1.2.partition.orders.5', logActor)
    expect(system.lookup('c1.2.partition.orders.5')).toBe(ref)
    expect(system.find('c1.2.partition.orders.6')).toBeUndefined()
    expect(() => system.lookup('c1.2.partition.orders.6')).toThrow(ActorNotFoundError)
    expect(() => system.spawn('c1.2.partition.orders.5', logActor)).toThrow(ActorPathTakenError)
    expect(() => system.spawn('c1..x', logActor)).toThrow(InvalidActorPathError)
    await expect(system.stop('nobody.here')).rejects.toBeInstanceOf(ActorNotFoundError)
    await system.shutdown()
  })

  it('spawns children under the parent path and stops them before the parent', async () => {
    const { system } = quietSystem()
    const stops: string[] = []
    const ref = system.spawn<CounterMessage>('test.parent', (context) => {
      context.spawn('child.v1', () => ({ receive() {}, postStop: () => void stops.push('child') }))
      return Object.assign(new CounterActor(0), { postStop: () => void stops.push('parent') })
    })
    await settle()
    expect(system.paths.sort()).toEqual(['test.parent', 'test.parent.child~2Ev1'])
    await system.stop(ref)
    expect(stops).toEqual(['child', 'parent'])
    expect(system.paths).toEqual([])
    // The path is free again once the actor has stopped.
    system.spawn('test.parent', logActor)
    await system.shutdown()
  })
})

describe('stopping', () => {
  it('fails queued and held asks with ActorStoppedError, after the message in hand is done', async () => {
    const { system } = quietSystem()
    const postStop = vi.fn()
    const ref = system.spawn<CounterMessage>('test.stopping', () =>
      Object.assign(new CounterActor(3), { postStop }),
    )
    const held = ref.ask((replyTo) => ({ _tag: 'Hold', replyTo }))
    const inHand = gate()
    const waiting = ref.ask((replyTo) => ({ _tag: 'Wait', until: inHand.promise, replyTo }))
    const queued = ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))
    await settle()
    const stopped = system.stop(ref)
    const stoppedByRequest = { _tag: 'ActorStoppedError', reason: 'stopped by request' }
    await Promise.all([expect(queued).rejects.toMatchObject(stoppedByRequest), expect(held).rejects.toMatchObject(stoppedByRequest)])
    expect(postStop).not.toHaveBeenCalled()
    inHand.open()
    expect(await waiting).toBe(3)
    await stopped
    expect(postStop).toHaveBeenCalledTimes(1)
    await expect(ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))).rejects.toMatchObject({
      message: 'actor test.stopping is stopped (stopped by request)',
    })
    ref.tell({ _tag: 'Increment', by: 1 })
    expect(system.deadLetterCount).toBe(1)
  })

  it('stops itself from a handler once that handler is done', async () => {
    const { system } = quietSystem()
    const ref = system.spawn<{ readonly _tag: 'Quit'; readonly replyTo: ReplyTo<string> }>('test.quitter', () => ({
      receive(message, context) {
        context.stopSelf()
        message.replyTo.reply('bye')
      },
    }))
    const reply = replyProbe<string>()
    ref.tell({ _tag: 'Quit', replyTo: reply })
    expect(await reply.expectReply()).toBe('bye')
    await settle()
    expect(system.find('test.quitter')).toBeUndefined()
  })

  it('shuts down every actor and fails every pending ask', async () => {
    const { system } = quietSystem()
    const stopped: string[] = []
    const refs = [0, 1, 2].map((n) =>
      system.spawn<CounterMessage>(`test.node.${n}`, (context) => {
        context.spawn('worker', () => ({ receive() {}, postStop: () => void stopped.push(`${n}.worker`) }))
        return Object.assign(new CounterActor(n), { postStop: () => void stopped.push(`${n}`) })
      }),
    )
    const held = refs.map((ref) => ref.ask((replyTo) => ({ _tag: 'Hold', replyTo })))
    const stuckHandler = gate()
    const inHand = refs[0].ask((replyTo) => ({ _tag: 'Wait', until: stuckHandler.promise, replyTo }))
    const queued = refs[0].ask((replyTo) => ({ _tag: 'Get', replyTo }))
    await settle()
    let finished = false
    const done = system.shutdown().then(() => {
      finished = true
    })
    const shutDown = { _tag: 'ActorStoppedError', reason: 'actor system shut down' }
    await Promise.all([...held, inHand, queued].map((ask) => expect(ask).rejects.toMatchObject(shutDown)))
    expect(system.isShutDown).toBe(true)
    expect(() => system.spawn('test.late', logActor)).toThrow(ActorStoppedError)
    // The running handler keeps actor 0 from finishing; the others are done.
    await settle()
    expect(stopped.sort()).toEqual(['0.worker', '1', '1.worker', '2', '2.worker'])
    expect(finished).toBe(false)
    stuckHandler.open()
    await done
    expect(stopped).toContain('0')
    expect(system.paths).toEqual([])
  })
})
