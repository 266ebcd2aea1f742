/**
 * The working copy one transition edits, and the decisions every transition shares: removing
 * members whose time ran out, computing targets with the group's assignor when membership or
 * subscriptions changed, reconciling a member toward its target, and prompting members that
 * now have something to do. Internal to the group folder: callers use the transitions.
 */
import { validateAssignment, type AssignmentInput } from './assignor.js'
import { InvalidAssignmentError, type GroupRequestError } from './group-errors.js'
import type { GroupEffect, MemberAssignment, MemberRemoval, Outcome, RemovalReason, Transition } from './group-messages.js'
import { phaseOf, type CommittedOffset, type GroupMember, type GroupState } from './group-state.js'
import type { OffsetRecord } from './offset-record.js'
import { filterByKeys, keySet, sortTopicPartitions, topicPartitionKey, type TopicPartition } from './topic-partition.js'

/** Partition key -> the member holding it (assigned or pending revocation). */
const holders = (members: Iterable<GroupMember>, except?: string): Map<string, string> => {
  const held = new Map<string, string>()
  for (const member of members) {
    if (member.memberId === except) continue
    for (const tp of member.assigned) held.set(topicPartitionKey(tp), member.memberId)
    for (const tp of member.pendingRevocation) held.set(topicPartitionKey(tp), member.memberId)
  }
  return held
}

/**
 * Whether the member should heartbeat now: it can move to the group's generation (which is
 * also when it learns what to give up) or take a partition of its target that nobody holds.
 * A member already asked to give partitions up is not prompted: it reports once it has.
 */
const needsHeartbeat = (member: GroupMember, generation: number, held: ReadonlyMap<string, string>): boolean => {
  if (member.away || member.pendingRevocation.length > 0) return false
  if (member.generation < generation) return true
  return member.target.some((tp) => !held.has(topicPartitionKey(tp)))
}

const promptable = (members: ReadonlyMap<string, GroupMember>, generation: number): Set<string> => {
  const held = holders(members.values())
  const ids = new Set<string>()
  for (const member of members.values()) if (needsHeartbeat(member, generation, held)) ids.add(member.memberId)
  return ids
}

/** A transition that changes nothing but answers with an error. */
export const refuse = <A>(state: GroupState, error: GroupRequestError): Transition<A> => ({
  state,
  outcome: { _tag: 'Failed', error },
  effects: [],
})

export class GroupDraft {
  readonly members: Map<string, GroupMember>
  generation: number
  topics: ReadonlyMap<string, number>
  nextMemberNumber: number
  dead = false
  readonly records: OffsetRecord[] = []
  private committedCopy: Map<string, CommittedOffset> | undefined
  private readonly removals: MemberRemoval[] = []
  private generationChanged = false
  private targetsStale = false
  /** Set once membership or assignments changed: only then can a member newly need prompting. */
  private reshaped = false

  constructor(
    readonly before: GroupState,
    readonly nowMs: number,
  ) {
    this.members = new Map(before.members)
    this.generation = before.generation
    this.topics = before.topics
    this.nextMemberNumber = before.nextMemberNumber
    for (const member of before.members.values()) {
      if (member.sessionDeadlineMs <= nowMs) this.remove(member.memberId, 'session-timeout')
      else if (member.revocationDeadlineMs !== undefined && member.revocationDeadlineMs <= nowMs) this.remove(member.memberId, 'rebalance-timeout')
    }
  }

  get groupId(): string {
    return this.before.config.groupId
  }

  get committed(): ReadonlyMap<string, CommittedOffset> {
    return this.committedCopy ?? this.before.committed
  }

  /** The committed offsets, copied on the first write so `before` stays as it was. */
  writableCommitted(): Map<string, CommittedOffset> {
    this.committedCopy ??= new Map(this.before.committed)
    return this.committedCopy
  }

  mintMemberId(clientId: string): string {
    return `${clientId}-${this.before.config.incarnation}-${this.nextMemberNumber++}`
  }

  /** A new generation; with `retarget`, the assignor runs again at settle. */
  changed(retarget: boolean): void {
    this.reshaped = true
    this.generationChanged = true
    this.targetsStale ||= retarget
  }

  remove(memberId: string, reason: RemovalReason, retarget = true): void {
    const member = this.members.get(memberId)!
    this.members.delete(memberId)
    this.removals.push({ memberId, groupInstanceId: member.groupInstanceId, reason })
    this.changed(retarget)
  }

  /** Replaces a member's entry (its assignment may have changed). */
  put(member: GroupMember): void {
    this.reshaped = true
    this.members.set(member.memberId, member)
  }

  /** Moves to the next generation and recomputes targets, if a change asked for it. */
  settle(): InvalidAssignmentError | undefined {
    if (this.generationChanged) this.generation++
    this.generationChanged = false
    if (!this.targetsStale) return undefined
    this.targetsStale = false
    if (this.members.size === 0) return undefined
    const members = [...this.members.values()]
    const subscribed = new Set(members.flatMap((member) => member.subscribedTopics))
    const input: AssignmentInput = {
      members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscribedTopics: m.subscribedTopics, owned: m.target })),
      partitionsPerTopic: new Map([...this.topics].filter(([topic]) => subscribed.has(topic))),
    }
    const assignor = this.before.config.assignor
    let assignment
    try {
      assignment = assignor.assign(input)
    } catch (cause) {
      return new InvalidAssignmentError({ assignor: assignor.name, reason: `it threw ${String(cause)}` })
    }
    const invalid = validateAssignment(assignor.name, input, assignment)
    if (invalid !== undefined) return invalid
    for (const member of members) {
      const target = sortTopicPartitions(assignment.get(member.memberId) ?? [])
      // An away static member runs nothing, so what it loses needs no revoking.
      const assigned = member.away ? filterByKeys(member.assigned, keySet(target), true) : member.assigned
      this.members.set(member.memberId, { ...member, target, assigned })
    }
    return undefined
  }

  /**
   * Brings a member one step toward its target. Partitions it reports not owning are released;
   * partitions leaving its target that it owns are to be revoked (it keeps them, and may commit
   * them, until it reports them gone). Only with nothing left to revoke does it move to the
   * group's generation and receive the partitions of its target that nobody else holds.
   */
  reconcile(memberId: string, owned: readonly TopicPartition[]): GroupMember {
    const member = this.members.get(memberId)!
    const target = keySet(member.target)
    // What it reports not holding needs no revoking: a restarted static member holds nothing.
    const holding = keySet(owned)
    const revoked = filterByKeys(member.assigned, target, false)
    const pendingRevocation = filterByKeys(sortTopicPartitions([...member.pendingRevocation, ...revoked]), holding, true)
    let next: GroupMember
    if (pendingRevocation.length > 0) {
      next = {
        ...member,
        assigned: filterByKeys(member.assigned, target, true),
        pendingRevocation,
        revocationDeadlineMs: member.revocationDeadlineMs ?? this.nowMs + member.rebalanceTimeoutMs,
      }
    } else {
      const held = holders(this.members.values(), memberId)
      const free = member.target.filter((tp) => !held.has(topicPartitionKey(tp)))
      next = {
        ...member,
        generation: this.generation,
        assigned: sortTopicPartitions([...filterByKeys(member.assigned, target, true), ...free]),
        pendingRevocation,
        revocationDeadlineMs: undefined,
      }
    }
    this.put(next)
    return next
  }

  assignmentOf(member: GroupMember): MemberAssignment {
    return {
      memberId: member.memberId,
      generation: member.generation,
      assignment: member.assigned,
      heartbeatIntervalMs: this.before.config.heartbeatIntervalMs,
    }
  }

  /** The transition: the new state, the outcome, and the effects (none for `requester`'s prompt). */
  finish<A>(outcome: Outcome<A>, requester?: string): Transition<A> {
    const broken = this.settle()
    if (broken !== undefined) return this.abort(broken)
    const effects: GroupEffect[] = []
    if (this.removals.length > 0) effects.push({ _tag: 'MembersRemoved', removals: this.removals })
    if (this.records.length > 0) effects.push({ _tag: 'PersistOffsets', records: this.records })
    const members: ReadonlyMap<string, GroupMember> = this.dead ? new Map() : this.members
    if (!this.dead && this.reshaped) {
      const already = promptable(this.before.members, this.before.generation)
      const prompt = [...promptable(members, this.generation)].filter((id) => id !== requester && !already.has(id))
      if (prompt.length > 0) effects.push({ _tag: 'PromptHeartbeat', memberIds: prompt.sort() })
    }
    const state: GroupState = {
      phase: this.dead ? 'Dead' : phaseOf(members, this.generation),
      config: this.before.config,
      generation: this.generation,
      members,
      topics: this.topics,
      committed: this.dead ? new Map() : this.committed,
      nextMemberNumber: this.nextMemberNumber,
    }
    return { state, outcome, effects }
  }

  /** The assignor broke its contract: nothing changes, and the request fails with its error. */
  abort<A>(error: GroupRequestError): Transition<A> {
    return refuse(this.before, error)
  }
}
