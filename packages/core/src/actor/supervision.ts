/**
 * What happens to an actor whose handler, factory or preStart throws. The message being handled
 * always fails its asker with ActorFailedError; then, per the actor's strategy:
 * - restart: the old instance gets postStop, its children are stopped, asks it held unanswered
 *   fail, and the factory builds a fresh instance (rebuilding state, e.g. from storage); queued
 *   messages wait for it. More than `maxRestarts` restarts within `withinMs` stops it instead.
 * - stop: the actor stops; queued and held asks fail with ActorStoppedError.
 * - escalate: the actor stops and its parent fails in its place, applying its own strategy;
 *   a top-level actor's failure goes to the system's guardian strategy, applied to that actor.
 */
export type SupervisorStrategy =
  | { readonly kind: 'restart'; readonly maxRestarts: number; readonly withinMs: number }
  | { readonly kind: 'stop' }
  | { readonly kind: 'escalate' }

/** The strategies the system guardian can apply: there is nobody to escalate to. */
export type GuardianStrategy = Exclude<SupervisorStrategy, { readonly kind: 'escalate' }>

export const Supervision = {
  restart: (limit: { readonly maxRestarts?: number; readonly withinMs?: number } = {}): SupervisorStrategy & {
    readonly kind: 'restart'
  } => ({ kind: 'restart', maxRestarts: limit.maxRestarts ?? 10, withinMs: limit.withinMs ?? 60_000 }),
  stop: (): SupervisorStrategy & { readonly kind: 'stop' } => ({ kind: 'stop' }),
  escalate: (): SupervisorStrategy & { readonly kind: 'escalate' } => ({ kind: 'escalate' }),
} as const

/**
 * Whether one more restart at `nowMs` stays within the limit, given the times of earlier
 * restarts (oldest first). Drops the times that have left the window, and records `nowMs`
 * when the restart is allowed.
 */
export const admitRestart = (
  restartTimesMs: number[],
  nowMs: number,
  limit: { readonly maxRestarts: number; readonly withinMs: number },
): boolean => {
  let expired = 0
  while (expired < restartTimesMs.length && nowMs - restartTimesMs[expired] >= limit.withinMs) expired++
  if (expired > 0) restartTimesMs.splice(0, expired)
  if (restartTimesMs.length >= limit.maxRestarts) return false
  restartTimesMs.push(nowMs)
  return true
}

/** What the runtime did about one failure, as reported to ActorSystemOptions.onFailure. */
export interface ActorFailure {
  readonly path: string
  readonly cause: unknown
  /** `none` for a failure that needs no decision, e.g. a postStop that threw. */
  readonly directive: 'restart' | 'stop' | 'escalate' | 'none'
}
