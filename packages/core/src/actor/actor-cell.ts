/**
 * The runtime behind one actor: its mailbox, the current behaviour instance, its children and
 * the asks it has not answered. It drains the mailbox in a loop of plain calls, yielding to the
 * event loop every `throughput` messages, and waits on a handler's promise only when the handler
 * returned one. Failures are handed to supervision; see supervision.ts for what each strategy does.
 */
import type { Actor, ActorContext, ActorFactory, SpawnOptions } from './actor.js'
import { type ActorPath, childPath } from './actor-path.js'
import { type ActorRef, repliesIn, replyToOf } from './actor-ref.js'
import type { ActorSystem } from './actor-system.js'
import { AskList } from './ask.js'
import { ActorFailedError, ActorPathTakenError, ActorStoppedError, describeCause } from './errors.js'
import { CellContext, LocalActorRef } from './local-ref.js'
import { Mailbox } from './mailbox.js'
import { type ActorFailure, admitRestart, type GuardianStrategy, type SupervisorStrategy } from './supervision.js'

/** What a cell needs from its system. */
export interface CellHost {
  readonly system: ActorSystem
  readonly askTimeoutMs: number
  readonly throughput: number
  readonly guardianStrategy: GuardianStrategy
  register(cell: AnyCell): void
  unregister(cell: AnyCell): void
  isRegistered(path: string): boolean
  report(failure: ActorFailure): void
  deadLetter(path: ActorPath, message: unknown): void
}

// Captured at load so that tests faking timers (vi.useFakeTimers) do not freeze the mailboxes.
const yieldToEventLoop = globalThis.setImmediate

/** The registry and the tree hold cells of every protocol; none of them reads the message type. */
export type AnyCell = ActorCell<any>

const STARTING = 0
const RUNNING = 1
const STOPPING = 2
const STOPPED = 3

export class ActorCell<M> {
  readonly ref: LocalActorRef<M>
  readonly context: ActorContext<M>
  readonly asks = new AskList()
  readonly stopped: Promise<void>
  private readonly children = new Map<string, AnyCell>()
  private readonly mailbox = new Mailbox<M>()
  private readonly strategy: SupervisorStrategy
  private readonly throughput: number
  private readonly restartTimesMs: number[] = []
  private behaviour: Actor<M> | undefined = undefined
  private batched = false
  private status = STARTING
  /** A drain is queued or running: further tells need not queue another. */
  private scheduled = false
  /** A handler's or a lifecycle step's promise is pending: nothing else may run. */
  private busy = false
  private current: M | undefined = undefined
  private currentBatch: readonly M[] | undefined = undefined
  private childFailures: ActorFailedError[] | undefined = undefined
  private stopReason = ''
  private finishing = false
  private resolveStopped!: () => void

  constructor(
    readonly host: CellHost,
    readonly path: ActorPath,
    readonly parent: AnyCell | undefined,
    private readonly factory: ActorFactory<M>,
    options: SpawnOptions = {},
  ) {
    this.strategy = options.supervision ?? { kind: 'stop' }
    this.throughput = Math.max(1, options.throughput ?? host.throughput)
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve
    })
    this.ref = new LocalActorRef(this)
    this.context = new CellContext(this)
    host.register(this)
    this.incarnate(false, undefined)
  }

  get queuedCount(): number {
    return this.mailbox.length
  }

  tell(message: M): void {
    if (this.status >= STOPPING) return this.bounce(message)
    this.mailbox.push(message)
    if (!this.scheduled && !this.busy && this.status === RUNNING) {
      this.scheduled = true
      queueMicrotask(this.run)
    }
  }

  spawnChild<C>(name: string | number, factory: ActorFactory<C>, options?: SpawnOptions): ActorRef<C> {
    const path = childPath(this.path, name)
    if (this.status >= STOPPING) throw new ActorStoppedError({ path, reason: `parent ${this.path} is stopping` })
    if (this.host.isRegistered(path)) throw new ActorPathTakenError({ path })
    const child = new ActorCell<C>(this.host, path, this, factory, options)
    this.children.set(path, child as AnyCell)
    return child.ref
  }

  /**
   * Stops the actor once the message in hand is done. Queued and held asks fail at once; the
   * ask in hand is left to its handler unless `failInHand` (a shutdown waits for nobody).
   */
  stop(reason: string, failInHand = false): Promise<void> {
    if (this.status >= STOPPING) {
      if (failInHand) this.asks.failAll(() => new ActorStoppedError({ path: this.path, reason: this.stopReason }))
      return this.stopped
    }
    this.status = STOPPING
    this.stopReason = reason
    this.childFailures = undefined
    const queued = this.mailbox.drain()
    for (const message of queued) this.bounce(message)
    const inHand = failInHand ? undefined : repliesIn(this.currentBatch ?? [this.current])
    this.asks.failAll(() => new ActorStoppedError({ path: this.path, reason }), inHand)
    if (!this.scheduled && !this.busy) void this.finishStop()
    return this.stopped
  }

  /** A child whose strategy is escalate failed: this actor fails in its place, between messages. */
  childFailed(failure: ActorFailedError): void {
    if (this.status >= STOPPING) return
    ;(this.childFailures ??= []).push(failure)
    if (!this.scheduled && !this.busy && this.status === RUNNING) {
      this.scheduled = true
      queueMicrotask(this.run)
    }
  }

  private readonly run = (): void => {
    const throughput = this.throughput
    let processed = 0
    while (this.status === RUNNING) {
      if (this.childFailures !== undefined) {
        const failure = this.childFailures.shift() as ActorFailedError
        if (this.childFailures.length === 0) this.childFailures = undefined
        this.scheduled = false
        return this.supervise(this.strategy, failure)
      }
      if (this.mailbox.length === 0) break
      if (processed >= throughput) return void yieldToEventLoop(this.run)
      let result: void | PromiseLike<void>
      try {
        const behaviour = this.behaviour as Actor<M>
        if (this.batched) {
          const batch = this.mailbox.take(throughput)
          this.currentBatch = batch
          processed += batch.length
          result = (behaviour.receiveBatch as NonNullable<Actor<M>['receiveBatch']>)(batch, this.context)
        } else {
          const message = this.mailbox.shift()
          this.current = message
          processed++
          result = behaviour.receive(message, this.context)
        }
      } catch (error) {
        this.scheduled = false
        return this.handlerFailed(error)
      }
      if (result !== undefined && typeof result.then === 'function') {
        this.scheduled = false
        this.busy = true
        result.then(this.handlerDone, this.handlerRejected)
        return
      }
      this.current = undefined
      this.currentBatch = undefined
    }
    this.scheduled = false
    if (this.status === STOPPING) void this.finishStop()
  }

  private readonly handlerDone = (): void => {
    this.busy = false
    this.current = undefined
    this.currentBatch = undefined
    this.resume()
  }

  private readonly handlerRejected = (error: unknown): void => {
    this.busy = false
    this.handlerFailed(error)
  }

  private resume(): void {
    if (this.status === STOPPING) return void this.finishStop()
    if (this.status !== RUNNING || this.scheduled) return
    this.scheduled = true
    this.run()
  }

  private handlerFailed(cause: unknown): void {
    const failure = new ActorFailedError({ path: this.path, cause })
    if (this.current !== undefined) replyToOf(this.current)?.fail(failure)
    if (this.currentBatch !== undefined) for (const message of this.currentBatch) replyToOf(message)?.fail(failure)
    this.current = undefined
    this.currentBatch = undefined
    if (this.status === STOPPING) {
      this.host.report({ path: this.path, cause, directive: 'none' })
      return void this.finishStop()
    }
    this.supervise(this.strategy, cause)
  }

  private supervise(strategy: SupervisorStrategy, cause: unknown): void {
    const report = (directive: ActorFailure['directive']) => this.host.report({ path: this.path, cause, directive })
    switch (strategy.kind) {
      case 'restart':
        if (admitRestart(this.restartTimesMs, Date.now(), strategy)) {
          report('restart')
          return this.incarnate(true, cause)
        }
        report('stop')
        return void this.stop(`restart limit of ${strategy.maxRestarts} within ${strategy.withinMs} ms exceeded`)
      case 'stop':
        report('stop')
        return void this.stop(`stopped after failure: ${describeCause(cause)}`)
      case 'escalate':
        report('escalate')
        if (this.parent === undefined) return this.supervise(this.host.guardianStrategy, cause)
        void this.stop(`failure escalated to ${this.parent.path}`)
        return this.parent.childFailed(new ActorFailedError({ path: this.path, cause }))
    }
  }

  /** Builds a fresh instance, first tearing down the old one when this is a restart. */
  private incarnate(restart: boolean, cause: unknown): void {
    const previous = this.behaviour
    this.behaviour = undefined
    this.status = STARTING
    this.busy = true
    this.childFailures = undefined
    this.startInstance(restart, previous, cause).then(this.started, this.startFailed)
  }

  private async startInstance(restart: boolean, previous: Actor<M> | undefined, cause: unknown): Promise<void> {
    if (restart) {
      // A factory that fails at once under a wide restart limit must not starve the event loop.
      await new Promise((resolve) => yieldToEventLoop(resolve))
      if (previous !== undefined) await this.runPostStop(previous)
      await this.stopChildren(`parent ${this.path} restarted`)
      // Asks the old instance took but never answered would otherwise hang until their timeout.
      this.asks.failAll(() => new ActorFailedError({ path: this.path, cause }), repliesIn(this.mailbox.toArray()))
    }
    if (this.status !== STARTING) return
    const behaviour = await this.factory(this.context)
    this.behaviour = behaviour
    this.batched = typeof behaviour.receiveBatch === 'function'
    if (this.status !== STARTING) return
    await behaviour.preStart?.(this.context)
  }

  private readonly started = (): void => {
    this.busy = false
    if (this.status === STARTING) this.status = RUNNING
    this.resume()
  }

  private readonly startFailed = (cause: unknown): void => {
    this.busy = false
    if (this.status !== STARTING) {
      this.host.report({ path: this.path, cause, directive: 'none' })
      return void this.finishStop()
    }
    this.supervise(this.strategy, cause)
  }

  private async finishStop(): Promise<void> {
    if (this.finishing || this.busy) return
    this.finishing = true
    await this.stopChildren(`parent ${this.path} stopped`)
    const behaviour = this.behaviour
    this.behaviour = undefined
    if (behaviour !== undefined) await this.runPostStop(behaviour)
    this.status = STOPPED
    this.asks.failAll(() => new ActorStoppedError({ path: this.path, reason: this.stopReason }))
    this.host.unregister(this)
    this.parent?.children.delete(this.path)
    this.resolveStopped()
  }

  private async runPostStop(behaviour: Actor<M>): Promise<void> {
    try {
      await behaviour.postStop?.(this.context)
    } catch (cause) {
      this.host.report({ path: this.path, cause, directive: 'none' })
    }
  }

  private async stopChildren(reason: string): Promise<void> {
    if (this.children.size === 0) return
    await Promise.all(Array.from(this.children.values(), (child) => child.stop(reason)))
  }

  /** A message that arrived too late: its asker fails now; a tell goes to dead letters. */
  private bounce(message: M): void {
    const replyTo = replyToOf(message)
    if (replyTo !== undefined) replyTo.fail(new ActorStoppedError({ path: this.path, reason: this.stopReason }))
    else this.host.deadLetter(this.path, message)
  }
}
