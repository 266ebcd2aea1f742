/**
 * The long-poll heartbeats a GroupCoordinatorActor holds: at most one per member, each with the
 * timer that answers it when nothing happened in time. The actor re-runs the parked request
 * (the member still holds what it reported) when it answers one.
 */
import type { ReplyTo } from '../actor/actor-ref.js'
import type { HeartbeatRequest, MemberAssignment } from './group-messages.js'

export interface ParkedHeartbeat {
  /** The plain request to run again when the heartbeat is answered. */
  readonly request: HeartbeatRequest
  readonly replyTo: ReplyTo<MemberAssignment>
  readonly timer: ReturnType<typeof setTimeout>
}

export class ParkedHeartbeats {
  private readonly byMember = new Map<string, ParkedHeartbeat>()

  /** Holds the heartbeat; `onExpiry` runs after `waitMs` unless it was taken before. */
  park(request: HeartbeatRequest, replyTo: ReplyTo<MemberAssignment>, waitMs: number, onExpiry: (parked: ParkedHeartbeat) => void): void {
    const timer = setTimeout(() => onExpiry(parked), waitMs)
    // A parked heartbeat must not keep the process alive on its own.
    timer.unref()
    const parked: ParkedHeartbeat = { request, replyTo, timer }
    this.byMember.set(request.memberId, parked)
  }

  /** Removes and returns the member's parked heartbeat. */
  take(memberId: string): ParkedHeartbeat | undefined {
    const parked = this.byMember.get(memberId)
    if (parked === undefined) return undefined
    clearTimeout(parked.timer)
    this.byMember.delete(memberId)
    return parked
  }

  /** Takes `parked` only if it is still the one held for its member (its timer may be late). */
  takeIfCurrent(parked: ParkedHeartbeat): boolean {
    if (this.byMember.get(parked.request.memberId) !== parked) return false
    this.take(parked.request.memberId)
    return true
  }

  /** Fails the member's parked heartbeat, if any. */
  fail(memberId: string, error: Error): void {
    this.take(memberId)?.replyTo.fail(error)
  }

  failAll(error: Error): void {
    for (const memberId of [...this.byMember.keys()]) this.fail(memberId, error)
  }
}
