import { describe, expect, it } from 'vitest'
import { ActorFailedError, ActorStoppedError } from './errors.js'
import { admitRestart, Supervision } from './supervision.js'
import { CounterActor, type CounterMessage, gate, quietSystem, settle } from './test-support/fixtures.js'

describe('admitRestart', () => {
  it('allows maxRestarts within the window, then refuses until old ones leave it', () => {
    const times: number[] = []
    const limit = { maxRestarts: 2, withinMs: 1000 }
    expect(admitRestart(times, 0, limit)).toBe(true)
    expect(admitRestart(times, 500, limit)).toBe(true)
    expect(admitRestart(times, 999, limit)).toBe(false)
    expect(admitRestart(times, 1000, limit)).toBe(true)
    expect(times).toEqual([500, 1000])
  })

  it('never restarts with maxRestarts 0', () => {
    expect(admitRestart([], 0, { maxRestarts: 0, withinMs: 1000 })).toBe(false)
  })
})

describe('supervision', () => {
  it('restart: the asker gets the error and a fresh instance is rebuilt by the factory', async () => {
    const { system, failures } = quietSystem()
    const storage = { value: 0 }
    let built = 0
    let postStops = 0
    const ref = system.spawn<CounterMessage>(
      'test.restarting',
      () => {
        built++
        // State is rebuilt from storage, the way a partition reopens its log.
        return Object.assign(new CounterActor(storage.value, storage), { postStop: () => void postStops++ })
      },
      { supervision: Supervision.restart() },
    )
    ref.tell({ _tag: 'Increment', by: 4 })
    const failed = ref.ask((replyTo) => ({ _tag: 'Fail', reason: 'disk on fire', replyTo }))
    const after = ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))
    const error = await failed.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ActorFailedError)
    expect(error).toMatchObject({ path: 'test.restarting', message: 'actor test.restarting failed: disk on fire' })
    expect(((error as ActorFailedError).cause as Error).message).toBe('disk on fire')
    expect(await after).toBe(4)
    expect(built).toBe(2)
    expect(postStops).toBe(1)
    expect(failures.map((failure) => failure.directive)).toEqual(['restart'])
    await system.shutdown()
  })

  it('restart: an async handler that rejects is handled like one that throws', async () => {
    const { system } = quietSystem()
    let built = 0
    const ref = system.spawn<CounterMessage>('test.rejecting', () => new CounterActor(++built * 100), {
      supervision: Supervision.restart(),
    })
    ref.tell({ _tag: 'FailLater', reason: 'late' })
    expect(await ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))).toBe(200)
    await system.shutdown()
  })

  it('restart: asks the old instance held unanswered fail, queued ones reach the new instance', async () => {
    const { system } = quietSystem()
    const ref = system.spawn<CounterMessage>('test.holding', () => new CounterActor(1), {
      supervision: Supervision.restart(),
    })
    const held = ref.ask((replyTo) => ({ _tag: 'Hold', replyTo }))
    const inHand = gate()
    const failing = ref.ask((replyTo) => ({ _tag: 'Wait', until: inHand.promise.then(() => Promise.reject(new Error('boom'))), replyTo }))
    const queued = ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))
    await settle()
    inHand.open()
    await expect(failing).rejects.toBeInstanceOf(ActorFailedError)
    await expect(held).rejects.toMatchObject({ _tag: 'ActorFailedError', path: 'test.holding' })
    expect(await queued).toBe(1)
    await system.shutdown()
  })

  it('restart: a factory that fails is retried, and the limit stops a crash loop', async () => {
    const { system, failures } = quietSystem()
    let attempts = 0
    const ref = system.spawn<CounterMessage>(
      'test.flaky-start',
      () => {
        if (++attempts === 1) throw new Error('log locked')
        return new CounterActor(0)
      },
      { supervision: Supervision.restart({ maxRestarts: 2, withinMs: 60_000 }) },
    )
    expect(await ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))).toBe(0)
    expect(attempts).toBe(2)
    await expect(ref.ask((replyTo) => ({ _tag: 'Fail', reason: 'again', replyTo }))).rejects.toBeInstanceOf(ActorFailedError)
    const third = ref.ask((replyTo) => ({ _tag: 'Fail', reason: 'and again', replyTo }))
    const queued = ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))
    await expect(third).rejects.toBeInstanceOf(ActorFailedError)
    await expect(queued).rejects.toMatchObject({
      _tag: 'ActorStoppedError',
      reason: 'restart limit of 2 within 60000 ms exceeded',
    })
    expect(failures.map((failure) => failure.directive)).toEqual(['restart', 'restart', 'stop'])
    expect(system.find('test.flaky-start')).toBeUndefined()
  })

  it('stop: the asker gets the error, queued asks are refused, the actor is gone', async () => {
    const { system, failures } = quietSystem()
    const ref = system.spawn<CounterMessage>('test.fragile', () => new CounterActor(0), {
      supervision: Supervision.stop(),
    })
    const failed = ref.ask((replyTo) => ({ _tag: 'Fail', reason: 'bad record', replyTo }))
    const queued = ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))
    await expect(failed).rejects.toBeInstanceOf(ActorFailedError)
    await expect(queued).rejects.toMatchObject({ _tag: 'ActorStoppedError', reason: 'stopped after failure: bad record' })
    await settle()
    expect(system.find('test.fragile')).toBeUndefined()
    expect(failures).toMatchObject([{ path: 'test.fragile', directive: 'stop' }])
  })

  it('escalate: the parent fails in the child’s place and its restart rebuilds the child', async () => {
    const { system, failures } = quietSystem()
    let parentsBuilt = 0
    const parent = system.spawn<CounterMessage>(
      'test.broker',
      (context) => {
        parentsBuilt++
        context.spawn<CounterMessage>('replica', () => new CounterActor(parentsBuilt * 10), {
          supervision: Supervision.escalate(),
        })
        return new CounterActor(0)
      },
      { supervision: Supervision.restart() },
    )
    await settle()
    const child = system.lookup<CounterMessage>('test.broker.replica')
    await expect(child.ask((replyTo) => ({ _tag: 'Fail', reason: 'corrupt', replyTo }))).rejects.toMatchObject({
      _tag: 'ActorFailedError',
      path: 'test.broker.replica',
    })
    await expect(child.ask((replyTo) => ({ _tag: 'Get', replyTo }))).rejects.toBeInstanceOf(ActorStoppedError)
    expect(await parent.ask((replyTo) => ({ _tag: 'Get', replyTo }))).toBe(0)
    expect(parentsBuilt).toBe(2)
    const rebuilt = system.lookup<CounterMessage>('test.broker.replica')
    expect(await rebuilt.ask((replyTo) => ({ _tag: 'Get', replyTo }))).toBe(20)
    expect(failures.map((failure) => [failure.path, failure.directive])).toEqual([
      ['test.broker.replica', 'escalate'],
      ['test.broker', 'restart'],
    ])
    expect(failures[1].cause).toMatchObject({ _tag: 'ActorFailedError', path: 'test.broker.replica' })
    await system.shutdown()
  })

  it('escalate from a top-level actor: the guardian strategy decides', async () => {
    const restarting = quietSystem({ guardianStrategy: Supervision.restart() })
    let built = 0
    const ref = restarting.system.spawn<CounterMessage>('test.top', () => new CounterActor(++built), {
      supervision: Supervision.escalate(),
    })
    await expect(ref.ask((replyTo) => ({ _tag: 'Fail', reason: 'x', replyTo }))).rejects.toBeInstanceOf(ActorFailedError)
    expect(await ref.ask((replyTo) => ({ _tag: 'Get', replyTo }))).toBe(2)
    expect(restarting.failures.map((failure) => failure.directive)).toEqual(['escalate', 'restart'])
    await restarting.system.shutdown()

    const stopping = quietSystem()
    const other = stopping.system.spawn<CounterMessage>('test.top', () => new CounterActor(0), {
      supervision: Supervision.escalate(),
    })
    await expect(other.ask((replyTo) => ({ _tag: 'Fail', reason: 'x', replyTo }))).rejects.toBeInstanceOf(ActorFailedError)
    await expect(other.ask((replyTo) => ({ _tag: 'Get', replyTo }))).rejects.toBeInstanceOf(ActorStoppedError)
  })

  it('a postStop that throws is reported and the actor still stops', async () => {
    const { system, failures } = quietSystem()
    const ref = system.spawn<CounterMessage>('test.messy', () =>
      Object.assign(new CounterActor(0), {
        postStop: () => {
          throw new Error('close failed')
        },
      }),
    )
    await system.stop(ref)
    expect(failures).toMatchObject([{ path: 'test.messy', directive: 'none' }])
    expect(system.find('test.messy')).toBeUndefined()
  })
})
