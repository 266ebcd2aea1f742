/**
 * The model behind group-state.model.test.ts: simulated consumer processes (live ones and
 * zombies), what each believes, when the coordinator last heard from it and since when it waits
 * for it to give partitions up, and the invariants checked after every command.
 */
import { expect } from 'vitest'
import type { Assignor } from '../assignor.js'
import { handleGroupEvent } from '../group-coordinator.js'
import type { GroupEvent, GroupReplies, MemberAssignment, Transition } from '../group-messages.js'
import { newGroupState, nextDeadlineMs, type GroupMember, type GroupState } from '../group-state.js'
import { keySet, partitionsOf, sameTopicPartitions, topicPartitionKey as key, type TopicPartition } from '../topic-partition.js'

export const SESSION_MS = 100
export const REBALANCE_MS = 60
export const SUBSCRIPTIONS = [['orders'], ['payments'], ['orders', 'payments']]

export interface Client {
  memberId: string
  generation: number
  /** What it consumes: its assignment, plus what it was told to give up when it is slow to. */
  holds: readonly TopicPartition[]
  /** What its last reply said it may hold. */
  assignment: readonly TopicPartition[]
  /** What the coordinator believes it still has to give up: reported held, not in its assignment. */
  unreleased: readonly TopicPartition[]
  readonly instanceId: string | undefined
  lastHeardMs: number
  revokingSinceMs: number | undefined
  /** A restart of its static instance took its place. */
  replaced: boolean
  /** The coordinator asked it to heartbeat now (PromptHeartbeat) since its last reply. */
  prompted: boolean
}

export interface Sim {
  state: GroupState
  now: number
  /** Processes that believe they are members: live ones, and zombies not yet told otherwise. */
  clients: Client[]
  /** Static instances that left, until when the group keeps their place. */
  readonly away: Map<string, number>
  /** What the committed offsets must be: changed only by commits answered as accepted. */
  readonly committed: Map<string, bigint>
}

export const send = <E extends GroupEvent>(sim: Sim, event: E): Transition<GroupReplies[E['_tag']]> => {
  const t = handleGroupEvent(sim.state, event, sim.now)
  sim.state = t.state
  for (const effect of t.effects) {
    if (effect._tag !== 'PromptHeartbeat') continue
    for (const memberId of effect.memberIds) {
      expect(t.state.members.get(memberId)?.away, `prompted ${memberId} is present`).toBe(false)
      for (const c of sim.clients) if (c.memberId === memberId) c.prompted = true
    }
  }
  return t
}

/** Whether the coordinator must still have this client as a member, by the model's clock alone. */
export const alive = (sim: Sim, c: Client): boolean =>
  !c.replaced && sim.now < c.lastHeardMs + SESSION_MS && (c.revokingSinceMs === undefined || sim.now < c.revokingSinceMs + REBALANCE_MS)

export const drop = (sim: Sim, client: Client) => {
  sim.clients = sim.clients.filter((c) => c !== client)
}

const minus = (a: readonly TopicPartition[], b: readonly TopicPartition[]) => {
  const keys = keySet(b)
  return a.filter((tp) => !keys.has(key(tp)))
}

/** A join or heartbeat reply, having reported `reported`; a slow client keeps what it should give up. */
export const told = (sim: Sim, client: Client, reported: readonly TopicPartition[], reply: MemberAssignment, slow = false) => {
  const unreleased = minus(reported, reply.assignment)
  Object.assign(client, {
    memberId: reply.memberId,
    generation: reply.generation,
    assignment: reply.assignment,
    holds: slow ? [...reply.assignment, ...minus(client.holds, reply.assignment)] : reply.assignment,
    unreleased,
    lastHeardMs: sim.now,
    revokingSinceMs: unreleased.length === 0 ? undefined : (client.revokingSinceMs ?? sim.now),
    prompted: false,
  })
}
export const pick = <T>(items: readonly T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length])

export const snapshot = (state: GroupState) => {
  const subscribed = new Set([...state.members.values()].flatMap((m) => m.subscribedTopics))
  return {
    generation: state.generation,
    members: [...state.members.keys()].sort().join(),
    subscriptions: [...state.members.values()].map((m) => `${m.memberId}:${m.subscribedTopics.join('+')}`).join(),
    counts: [...state.topics].filter(([topic]) => subscribed.has(topic)).join(),
  }
}

export const checkInvariants = (sim: Sim, before: ReturnType<typeof snapshot>) => {
  const { state } = sim
  const members = [...state.members.values()]
  const held = new Map<string, string>()
  for (const m of members) {
    for (const tp of [...m.assigned, ...m.pendingRevocation]) {
      expect(held.get(key(tp)), `${key(tp)} held twice`).toBeUndefined()
      held.set(key(tp), m.memberId)
    }
  }
  for (const client of sim.clients) {
    const m = state.members.get(client.memberId)
    expect(m !== undefined && !m.away, `${client.memberId} is a member`).toBe(alive(sim, client))
    if (m !== undefined && !m.away) {
      expect(client.generation).toBe(m.generation)
      expect(sameTopicPartitions(client.assignment, m.assigned)).toBe(true)
      expect(sameTopicPartitions(client.unreleased, m.pendingRevocation)).toBe(true)
    }
  }
  // Zombies included: two processes at one generation never hold the same partition.
  for (const [i, a] of sim.clients.entries()) {
    for (const b of sim.clients.slice(i + 1)) {
      if (a.generation !== b.generation) continue
      const mine = keySet(a.holds)
      for (const tp of b.holds) expect(mine.has(key(tp)), `${key(tp)} held by two clients at generation ${a.generation}`).toBe(false)
    }
  }
  const targetOwners = new Map<string, GroupMember>()
  for (const m of members) for (const tp of m.target) targetOwners.set(key(tp), m)
  const subscribed = partitionsOf(members.flatMap((m) => m.subscribedTopics), state.topics)
  expect(targetOwners.size).toBe(members.reduce((n, m) => n + m.target.length, 0))
  for (const tp of subscribed) expect(targetOwners.get(key(tp))?.subscribedTopics).toContain(tp.topic)
  expect(targetOwners.size).toBe(subscribed.length)

  const after = snapshot(state)
  const changed = after.members !== before.members || after.subscriptions !== before.subscriptions || after.counts !== before.counts
  if (changed) expect(after.generation).toBeGreaterThan(before.generation)
  else expect(after.generation).toBe(before.generation)

  expect(new Map([...state.committed].map(([k, c]) => [k, c.offset]))).toEqual(sim.committed)
  const reconciled = (m: GroupMember) =>
    m.away || (m.generation === state.generation && m.pendingRevocation.length === 0 && sameTopicPartitions(m.assigned, m.target))
  expect(state.phase).toBe(members.length === 0 ? 'Empty' : members.every(reconciled) ? 'Stable' : 'Reconciling')
  const deadline = nextDeadlineMs(state)
  if (members.length === 0) expect(deadline).toBeUndefined()
  else expect(deadline).toBeGreaterThan(sim.now)
}

export const start = (assignor: Assignor): Sim => ({
  state: newGroupState({ groupId: 'g', incarnation: 'model', assignor, minSessionTimeoutMs: 10, topics: new Map([['orders', 3], ['payments', 2]]) }),
  now: 0,
  clients: [],
  away: new Map(),
  committed: new Map(),
})
