/** Helpers for tests that drive the pure group transitions by hand. */
import { handleGroupEvent } from '../group-coordinator.js'
import type { GroupEvent, GroupReplies, MemberAssignment, Transition } from '../group-messages.js'
import { newGroupState, type GroupState, type NewGroupOptions } from '../group-state.js'
import { parseTps } from './assignor-inputs.js'

export const TOPICS = new Map([
  ['orders', 4],
  ['payments', 2],
])

export const group = (options: Partial<NewGroupOptions> = {}): GroupState =>
  newGroupState({ groupId: 'billing', incarnation: 'i1', topics: TOPICS, minSessionTimeoutMs: 10, ...options })

/** Applies events in order, keeping the state; the last transition is returned. */
export class Driver {
  last: Transition<unknown> | undefined
  /** What each member was last told, as a well-behaved client remembers it. */
  readonly views = new Map<string, MemberAssignment>()
  constructor(
    public state: GroupState,
    public nowMs = 0,
  ) {}

  send<E extends GroupEvent>(event: E): Transition<GroupReplies[E['_tag']]> {
    const transition = handleGroupEvent(this.state, event, this.nowMs)
    this.state = transition.state
    this.last = transition
    if ((event._tag === 'JoinGroup' || event._tag === 'Heartbeat') && transition.outcome._tag === 'Ok') {
      const view = transition.outcome.value as MemberAssignment
      this.views.set(view.memberId, view)
    }
    return transition
  }

  /** The reply, or a thrown error when the request failed. */
  ok<E extends GroupEvent>(event: E): GroupReplies[E['_tag']] {
    const { outcome } = this.send(event)
    if (outcome._tag === 'Failed') throw outcome.error
    return outcome.value
  }

  /** The error the request failed with (the test fails if it succeeded). */
  fail(event: GroupEvent): unknown {
    const { outcome } = this.send(event)
    if (outcome._tag === 'Ok') throw new Error(`expected ${event._tag} to fail, it answered ${JSON.stringify(outcome.value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`)
    return outcome.error
  }

  join(subscribedTopics: string[], extra: { groupInstanceId?: string; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number } = {}) {
    return this.ok({ _tag: 'JoinGroup', subscribedTopics, sessionTimeoutMs: 100, rebalanceTimeoutMs: 50, ...extra })
  }

  /** A heartbeat from a well-behaved member that holds `owned` (partition specs like "ordersp0"). */
  beat(memberId: string, generation: number, owned: string) {
    return this.ok({ _tag: 'Heartbeat', memberId, generation, owned: parseTps(owned) })
  }

  /** A heartbeat from a member that did what it was last told. */
  beatAsTold(memberId: string): MemberAssignment {
    const view = this.views.get(memberId)!
    return this.ok({ _tag: 'Heartbeat', memberId, generation: view.generation, owned: view.assignment })
  }

  /** Every member heartbeats as told, a few rounds, until the group is Stable. */
  converge(): void {
    for (let round = 0; round < 5 && this.state.phase !== 'Stable'; round++) {
      for (const memberId of this.state.members.keys()) if (!this.state.members.get(memberId)!.away) this.beatAsTold(memberId)
    }
    if (this.state.phase !== 'Stable') throw new Error(`group did not converge: ${this.state.phase}`)
  }

  effects(tag: string): unknown[] {
    return (this.last?.effects ?? []).filter((effect) => effect._tag === tag)
  }
}

export const specs = (tps: readonly { topic: string; partition: number }[]): string => tps.map((tp) => `${tp.topic}p${tp.partition}`).join(' ')
