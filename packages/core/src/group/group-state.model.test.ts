// Model-based test of the group coordinator's pure state machine under virtual time: clients
// join (dynamic and static), heartbeat (giving up at once what they are told to, or slowly),
// leave, restart, miss heartbeats, resubscribe, and commit from current and stale generations,
// while topics grow. Clients removed without hearing it act as zombies. The model keeps, per
// client, when it was last heard from and since when the coordinator waits for it to give
// something up, and predicts from that alone which requests succeed. After every command: no
// partition held twice, clients at one generation hold disjoint sets, every subscribed
// partition has a target owner, the generation moves exactly on change, and committed offsets
// move only by accepted commits. Then: a quiet group converges to Stable, with periodic
// heartbeats, and with no clock at all, through the coordinator's prompts alone.
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { cooperativeStickyAssignor } from './assignors/cooperative-sticky.js'
import { rangeAssignor } from './assignors/range.js'
import { roundRobinAssignor } from './assignors/round-robin.js'
import {
  alive,
  checkInvariants,
  drop,
  pick,
  send,
  snapshot,
  start,
  told,
  REBALANCE_MS,
  SESSION_MS,
  SUBSCRIPTIONS,
  type Client,
  type Sim,
} from './test-support/group-model.js'
import { keySet, partitionsOf, sameTopicPartitions, topicPartitionKey as key } from './topic-partition.js'

abstract class Step implements fc.Command<Sim, Sim> {
  check = () => true
  run(_: Sim, sim: Sim) {
    const before = snapshot(sim.state)
    this.apply(sim)
    checkInvariants(sim, before)
  }
  abstract apply(sim: Sim): void
  abstract toString(): string
}

class Join extends Step {
  constructor(readonly topics: number, readonly instance: number | undefined) {
    super()
  }
  apply(sim: Sim) {
    const groupInstanceId = this.instance === undefined ? undefined : `pod-${this.instance}`
    const request = { _tag: 'JoinGroup' as const, subscribedTopics: SUBSCRIPTIONS[this.topics]!, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS }
    const t = send(sim, groupInstanceId === undefined ? request : { ...request, groupInstanceId })
    if (t.outcome._tag === 'Failed') throw t.outcome.error
    // A previous incarnation still running stays among the clients, as a zombie.
    for (const c of sim.clients) if (groupInstanceId !== undefined && c.instanceId === groupInstanceId) c.replaced = true
    if (groupInstanceId !== undefined) sim.away.delete(groupInstanceId)
    const client: Client = {
      ...{ memberId: '', generation: 0, holds: [], assignment: [], unreleased: [], instanceId: groupInstanceId },
      ...{ lastHeardMs: 0, revokingSinceMs: undefined, replaced: false, prompted: false },
    }
    told(sim, client, [], t.outcome.value)
    sim.clients.push(client)
  }
  toString = () => `join(${SUBSCRIPTIONS[this.topics]}${this.instance === undefined ? '' : `, pod-${this.instance}`})`
}

/** A heartbeat reporting what it holds; `slow`: it keeps what it is told to give up, for now. */
class Heartbeat extends Step {
  constructor(readonly client: number, readonly variant: 'plain' | 'slow' | 'stale' | number) {
    super()
  }
  apply(sim: Sim) {
    const client = pick(sim.clients, this.client)
    if (client === undefined) return
    const expected = alive(sim, client)
    const stale = this.variant === 'stale'
    const generation = stale ? client.generation - 1 : client.generation
    const subscribedTopics = typeof this.variant === 'number' ? { subscribedTopics: SUBSCRIPTIONS[this.variant]! } : {}
    const reported = client.holds
    const t = send(sim, { _tag: 'Heartbeat', memberId: client.memberId, generation, owned: reported, ...subscribedTopics })
    if (!expected) expect(t.outcome).toMatchObject({ error: { _tag: 'UnknownMemberError' } })
    else if (stale) expect(t.outcome).toMatchObject({ error: { _tag: 'StaleGenerationError', currentGeneration: client.generation } })
    else expect(t.outcome._tag).toBe('Ok')
    if (t.outcome._tag === 'Ok') told(sim, client, reported, t.outcome.value, this.variant === 'slow')
    else drop(sim, client)
  }
  toString = () => `heartbeat(${this.client}, ${this.variant})`
}

class Leave extends Step {
  constructor(readonly client: number) {
    super()
  }
  apply(sim: Sim) {
    const client = pick(sim.clients, this.client)
    if (client === undefined) return
    const expected = alive(sim, client)
    const t = send(sim, { _tag: 'LeaveGroup', memberId: client.memberId })
    expect(t.outcome._tag).toBe(expected ? 'Ok' : 'Failed')
    if (expected && client.instanceId !== undefined) sim.away.set(client.instanceId, sim.now + SESSION_MS)
    drop(sim, client)
  }
  toString = () => `leave(${this.client})`
}

class Commit extends Step {
  constructor(readonly client: number, readonly partition: number, readonly fromHolds: boolean, readonly stale: boolean, readonly offset: number) {
    super()
  }
  apply(sim: Sim) {
    const client = pick(sim.clients, this.client)
    if (client === undefined) return
    const all = partitionsOf(['orders', 'payments'], sim.state.topics)
    const tp = this.fromHolds ? pick(client.holds, this.partition) ?? all[0]! : pick(all, this.partition)!
    const expected = alive(sim, client)
    const generation = this.stale ? client.generation - 1 : client.generation
    const t = send(sim, { _tag: 'CommitOffsets', member: { memberId: client.memberId, generation }, offsets: [{ ...tp, offset: BigInt(this.offset) }] })
    if (!expected) return expect(t.outcome).toMatchObject({ error: { _tag: 'UnknownMemberError' } })
    if (this.stale) return expect(t.outcome).toMatchObject({ error: { _tag: 'StaleGenerationError', givenGeneration: generation } })
    if (t.outcome._tag === 'Failed') throw t.outcome.error
    client.lastHeardMs = sim.now
    const error = t.outcome.value.results[0]!.error
    // What it is giving up it may still commit, until the coordinator hears it has.
    const owned = keySet([...client.assignment, ...client.unreleased]).has(key(tp))
    if (this.offset < 0) expect(error?._tag).toBe('InvalidOffsetError')
    else if (owned) expect(error).toBeUndefined()
    else expect(error?._tag).toBe('NotOwnedPartitionError')
    if (error === undefined) sim.committed.set(key(tp), BigInt(this.offset))
  }
  toString = () => `commit(${this.client}, ${this.fromHolds ? 'held' : 'any'} #${this.partition}${this.stale ? ', stale' : ''}, ${this.offset})`
}

class SimpleCommit extends Step {
  constructor(readonly partition: number) {
    super()
  }
  apply(sim: Sim) {
    const tp = pick(partitionsOf(['orders'], sim.state.topics), this.partition)!
    const empty = !sim.clients.some((c) => alive(sim, c)) && ![...sim.away.values()].some((until) => sim.now < until)
    const t = send(sim, { _tag: 'CommitOffsets', offsets: [{ ...tp, offset: 7n }] })
    expect(t.outcome._tag).toBe(empty ? 'Ok' : 'Failed')
    if (empty) sim.committed.set(key(tp), 7n)
  }
  toString = () => `simpleCommit(${this.partition})`
}

/** Virtual time passes and the actor's timer fires: members not heard from are removed. */
class Advance extends Step {
  constructor(readonly ms: number) {
    super()
  }
  apply(sim: Sim) {
    sim.now += this.ms
    send(sim, { _tag: 'Tick' })
  }
  toString = () => `advance(${this.ms})`
}

class AddPartition extends Step {
  constructor(readonly topic: 'orders' | 'payments') {
    super()
  }
  apply(sim: Sim) {
    const topics = new Map(sim.state.topics)
    topics.set(this.topic, Math.min(8, topics.get(this.topic)! + 1))
    send(sim, { _tag: 'TopicsChanged', partitionsPerTopic: topics })
  }
  toString = () => `addPartition(${this.topic})`
}

const client = fc.nat(20)
const commit = fc.tuple(client, fc.nat(20), fc.boolean(), fc.boolean(), fc.integer({ min: -1, max: 1000 })).map(([c, p, h, s, o]) => new Commit(c, p, h, s, o))
const commands = fc.commands(
  [
    fc.tuple(fc.nat(2), fc.option(fc.nat(2), { nil: undefined })).map(([t, i]) => new Join(t, i)),
    fc.tuple(client, fc.constantFrom<'plain' | 'slow' | 'stale' | number>('plain', 'plain', 'plain', 'slow', 'stale', 0, 1, 2)).map(([c, v]) => new Heartbeat(c, v)),
    client.map((c) => new Leave(c)),
    commit,
    commit,
    fc.nat(5).map((p) => new SimpleCommit(p)),
    fc.integer({ min: 1, max: 70 }).map((ms) => new Advance(ms)),
    fc.constantFrom('orders' as const, 'payments' as const).map((t) => new AddPartition(t)),
  ],
  { maxCommands: 40 },
)

describe.each([cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor])('group coordinator model ($name)', (assignor) => {
  test.prop([commands], { numRuns: 150 })('keeps its invariants under joins, leaves, misses, restarts and commits', (cmds) => {
    const sim = start(assignor)
    fc.modelRun(() => ({ model: sim, real: sim }), cmds)
  })

  test.prop([commands, fc.nat(2)], { numRuns: 100 })('converges to Stable, everyone owning its target, once members just heartbeat', (cmds, topics) => {
    const sim = start(assignor)
    fc.modelRun(() => ({ model: sim, real: sim }), cmds)
    new Join(topics, undefined).run(sim, sim)
    // Live clients heartbeat well within their session; zombies and away members time out.
    for (let elapsed = 0; elapsed <= 2 * SESSION_MS || sim.state.phase !== 'Stable'; elapsed += 40) {
      expect(elapsed).toBeLessThan(10 * SESSION_MS)
      new Advance(40).run(sim, sim)
      for (const c of [...sim.clients]) if (alive(sim, c)) new Heartbeat(sim.clients.indexOf(c), 'plain').run(sim, sim)
    }
    for (const c of sim.clients) if (alive(sim, c)) expect(sameTopicPartitions(c.holds, sim.state.members.get(c.memberId)!.target)).toBe(true)
    expect(sim.state.members.size).toBeGreaterThan(0)
  })

  test.prop([commands], { numRuns: 100 })('converges through prompts alone, without waiting for heartbeat intervals', (cmds) => {
    const sim = start(assignor)
    fc.modelRun(() => ({ model: sim, real: sim }), cmds)
    // Time stands still: only clients prompted, or with something to report given up, heartbeat.
    for (let step = 0; ; step++) {
      expect(step).toBeLessThan(100)
      const due = sim.clients.find((c) => alive(sim, c) && (c.prompted || c.unreleased.length > 0))
      if (due === undefined) break
      new Heartbeat(sim.clients.indexOf(due), 'plain').run(sim, sim)
    }
    expect(sim.state.phase).toBe(sim.state.members.size === 0 ? 'Empty' : 'Stable')
  })
})
