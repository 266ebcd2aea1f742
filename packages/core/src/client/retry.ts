/**
 * Which failures of an ask are worth another try, and the retry schedule (effect Schedule:
 * exponential backoff, capped, jittered, a bounded number of times). A timeout or a partition
 * that is not (or no longer) there is transient; an answer that refuses the request is not.
 */
import { Duration, Effect, Schedule } from 'effect'

export interface RetryPolicy {
  readonly retries: number
  readonly retryBackoffMs: number
  readonly retryBackoffMaxMs: number
}

// ActorFailedError is left by unwrapActorFailure only when what the actor threw was no answer of
// ours (an I/O error, say): the actor is restarted from its durable state, so a retry is sound,
// and an idempotent producer's retry of a batch the partition did keep is answered as a duplicate.
const RETRIABLE_TAGS = new Set(['AskTimeoutError', 'ActorStoppedError', 'ActorNotFoundError', 'ActorFailedError'])

const tagOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { readonly _tag?: unknown })._tag : undefined

/**
 * An actor that threw while handling the request is reported as ActorFailedError; when what it
 * threw is one of our tagged errors, that error is the answer the caller should see.
 */
export const unwrapActorFailure = (error: unknown): unknown => {
  if (tagOf(error) !== 'ActorFailedError') return error
  const cause = (error as { readonly cause?: unknown }).cause
  return typeof tagOf(cause) === 'string' ? cause : error
}

/**
 * Timeouts, vanished actors (a leader moving) and actors that crashed on the request (restarted
 * by their supervisor) are transient; so is any error that says `retriable: true` of itself.
 * Everything else (out-of-order sequence, fenced producer, a batch too large, an unknown topic)
 * would fail the same way again.
 */
export const isRetriable = (error: unknown): boolean => {
  const tag = tagOf(error)
  if (typeof tag === 'string' && RETRIABLE_TAGS.has(tag)) return true
  return typeof error === 'object' && error !== null && (error as { readonly retriable?: unknown }).retriable === true
}

const scheduleOf = (policy: RetryPolicy) =>
  Schedule.min([
    Schedule.exponential(Duration.millis(Math.max(1, policy.retryBackoffMs))),
    Schedule.spaced(Duration.millis(Math.max(1, policy.retryBackoffMaxMs))),
  ]).pipe(Schedule.jittered, Schedule.upTo({ times: policy.retries }))

/**
 * Given the failure of a first attempt made outside (the happy path stays a plain promise),
 * waits and calls `attempt` again while failures are retriable, at most `policy.retries` times.
 * Rejects with the last failure.
 */
export const retryAfter = <A>(
  firstFailure: unknown,
  attempt: () => Promise<A>,
  policy: RetryPolicy,
): Promise<A> => {
  if (policy.retries === 0 || !isRetriable(firstFailure)) return Promise.reject(firstFailure)
  let first = true
  const once = Effect.suspend(() => {
    if (first) {
      first = false
      return Effect.fail(firstFailure)
    }
    return Effect.tryPromise({ try: attempt, catch: unwrapActorFailure })
  })
  const retried = Effect.retry(once, { schedule: scheduleOf(policy), while: isRetriable })
  return Effect.runPromise(retried)
}
