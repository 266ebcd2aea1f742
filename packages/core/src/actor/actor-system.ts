/**
 * The actor system: spawns actors at paths, finds them by path, stops them, and shuts everything
 * down. Top-level actors have the system as parent; a failure they escalate gets the system's
 * guardian strategy. After shutdown every actor is stopped and every unanswered ask has failed
 * with ActorStoppedError.
 */
import type { ActorFactory, SpawnOptions } from './actor.js'
import { type ActorPath, parseActorPath } from './actor-path.js'
import type { ActorRef } from './actor-ref.js'
import { type AnyCell, ActorCell, type CellHost } from './actor-cell.js'
import { LocalActorRef } from './local-ref.js'
import { ActorNotFoundError, ActorPathTakenError, ActorStoppedError, describeCause } from './errors.js'
import type { ActorFailure, GuardianStrategy } from './supervision.js'

export interface ActorSystemOptions {
  /** Timeout of an ask that names none. Default 5000 ms. */
  readonly askTimeoutMs?: number
  /** Messages an actor handles in a row before yielding to the event loop. Default 512. */
  readonly throughput?: number
  /** Applied to a top-level actor that escalates a failure. Default: stop. */
  readonly guardianStrategy?: GuardianStrategy
  /** Every failure and what was done about it. Default: one line on stderr. */
  readonly onFailure?: (failure: ActorFailure) => void
  /** A tell that reached a stopped actor. Default: counted in `deadLetterCount` only. */
  readonly onDeadLetter?: (path: ActorPath, message: unknown) => void
}

const SHUTDOWN_REASON = 'actor system shut down'

export class ActorSystem {
  private readonly cells = new Map<string, AnyCell>()
  private readonly host: CellHost
  private shutDown = false
  private deadLetters = 0

  constructor(options: ActorSystemOptions = {}) {
    const onFailure = options.onFailure ?? logFailure
    const onDeadLetter = options.onDeadLetter
    this.host = {
      system: this,
      askTimeoutMs: options.askTimeoutMs ?? 5000,
      throughput: options.throughput ?? 512,
      guardianStrategy: options.guardianStrategy ?? { kind: 'stop' },
      register: (cell) => {
        this.cells.set(cell.path, cell)
      },
      unregister: (cell) => {
        if (this.cells.get(cell.path) === cell) this.cells.delete(cell.path)
      },
      isRegistered: (path) => this.cells.has(path),
      report: onFailure,
      deadLetter: (path, message) => {
        this.deadLetters++
        onDeadLetter?.(path, message)
      },
    }
  }

  /** Tells that reached a stopped actor so far. */
  get deadLetterCount(): number {
    return this.deadLetters
  }

  get isShutDown(): boolean {
    return this.shutDown
  }

  /** Paths of the live actors (stopping ones included). */
  get paths(): ActorPath[] {
    return Array.from(this.cells.keys()) as ActorPath[]
  }

  /**
   * Starts a top-level actor at `path` (encoded text, see actor-path.ts). Returns at once;
   * messages sent before the factory finishes wait in the mailbox.
   */
  spawn<M>(path: string, factory: ActorFactory<M>, options?: SpawnOptions): ActorRef<M> {
    const actorPath = parseActorPath(path)
    if (this.shutDown) throw new ActorStoppedError({ path: actorPath, reason: SHUTDOWN_REASON })
    if (this.cells.has(actorPath)) throw new ActorPathTakenError({ path: actorPath })
    return new ActorCell<M>(this.host, actorPath, undefined, factory, options).ref
  }

  /** The live actor at `path`, or undefined. The message type is the caller's claim. */
  find<M>(path: string): ActorRef<M> | undefined {
    return this.cells.get(path)?.ref as ActorRef<M> | undefined
  }

  /** The live actor at `path`; throws ActorNotFoundError when there is none. */
  lookup<M>(path: string): ActorRef<M> {
    const ref = this.find<M>(path)
    if (ref === undefined) throw new ActorNotFoundError({ path })
    return ref
  }

  /**
   * Stops an actor and its children once the message in hand is done; its queued and unanswered
   * asks fail with ActorStoppedError. Resolves when postStop has run. A path with no live actor
   * rejects with ActorNotFoundError; a ref to an already stopped actor resolves.
   */
  stop(target: ActorRef<never> | string): Promise<void> {
    if (typeof target === 'string') {
      const cell = this.cells.get(target)
      return cell === undefined ? Promise.reject(new ActorNotFoundError({ path: target })) : cell.stop('stopped by request')
    }
    if (target instanceof LocalActorRef) return target.cell.stop('stopped by request')
    return Promise.reject(new ActorNotFoundError({ path: target.path }))
  }

  /**
   * Stops every actor; idempotent. Every unanswered ask fails at once with ActorStoppedError,
   * even one whose handler is still running; the returned promise waits for running handlers and
   * postStops. Later spawns throw ActorStoppedError.
   */
  async shutdown(): Promise<void> {
    this.shutDown = true
    await Promise.all(Array.from(this.cells.values(), (cell) => cell.stop(SHUTDOWN_REASON, true)))
  }
}

const logFailure = (failure: ActorFailure): void => {
  console.error(`[rivulet] actor ${failure.path} failed (${failure.directive}): ${describeCause(failure.cause)}`)
}
