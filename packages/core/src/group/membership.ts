/**
 * Membership transitions of the group coordinator, one pure function per message: join,
 * heartbeat, leave, the timer's tick, and topic metadata changes. Each takes the state, the
 * request and the current time, and returns the next state, the reply and the effects.
 *
 * Behavior:
 * - Member ids are made by the coordinator: `<clientId>-<incarnation>-<n>`.
 * - Every membership change (join, leave, removal, a static member's restart) starts a new
 *   generation; so does a change of subscriptions or of a subscribed topic's partition count,
 *   which also recomputes every member's target with the group's assignor.
 * - Rebalancing is incremental for every assignor: a partition changing owner is first revoked
 *   from the old owner, who keeps consuming everything else, and reaches the new owner only once
 *   the old one reports it gone (or leaves, or is removed). Range and round-robin simply move more
 *   partitions than cooperative-sticky; there is no stop-the-world revoke-all phase.
 * - A static member (groupInstanceId) that leaves stays in the group, away, until its session
 *   timeout: a restart with the same instance id gets a new member id (fencing the old process)
 *   and the same target, in a new generation but without running the assignor.
 * - A heartbeat with the wrong generation removes the member (it lost track: it must rejoin).
 */
import { GroupDraft, refuse } from './group-draft.js'
import { InvalidGroupRequestError, UnknownGroupError, UnknownMemberError, StaleGenerationError } from './group-errors.js'
import type { HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, MemberAssignment, TopicsChangedRequest, Transition } from './group-messages.js'
import type { GroupMember, GroupState } from './group-state.js'
import { compareStrings, filterByKeys, keySet, topicPartitionKey } from './topic-partition.js'

const sameTopics = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((topic, i) => topic === b[i])

/** Sorted and without duplicates, or an error naming what is wrong with `topics`. */
const subscription = (state: GroupState, topics: unknown): readonly string[] | InvalidGroupRequestError => {
  if (!Array.isArray(topics) || topics.some((topic) => typeof topic !== 'string' || topic.length === 0)) {
    return new InvalidGroupRequestError({ groupId: state.config.groupId, field: 'subscribedTopics', value: topics, reason: 'must be a list of topic names' })
  }
  return [...new Set(topics as string[])].sort(compareStrings)
}

const joinError = (state: GroupState, request: JoinGroupRequest): InvalidGroupRequestError | undefined => {
  const { groupId, minSessionTimeoutMs, maxSessionTimeoutMs } = state.config
  const invalid = (field: string, value: unknown, reason: string) => new InvalidGroupRequestError({ groupId, field, value, reason })
  const { sessionTimeoutMs, rebalanceTimeoutMs, groupInstanceId } = request
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < minSessionTimeoutMs || sessionTimeoutMs > maxSessionTimeoutMs) {
    return invalid('sessionTimeoutMs', sessionTimeoutMs, `must be an integer from ${minSessionTimeoutMs} to ${maxSessionTimeoutMs}`)
  }
  if (!Number.isInteger(rebalanceTimeoutMs) || rebalanceTimeoutMs <= 0) return invalid('rebalanceTimeoutMs', rebalanceTimeoutMs, 'must be a positive integer')
  if (groupInstanceId !== undefined && (typeof groupInstanceId !== 'string' || groupInstanceId.length === 0)) {
    return invalid('groupInstanceId', groupInstanceId, 'must be a non-empty string')
  }
  return undefined
}

export const joinGroup = (state: GroupState, request: JoinGroupRequest, nowMs: number): Transition<MemberAssignment> => {
  if (state.phase === 'Dead') return refuse(state, new UnknownGroupError({ groupId: state.config.groupId }))
  const invalid = joinError(state, request)
  if (invalid !== undefined) return refuse(state, invalid)
  const subscribedTopics = subscription(state, request.subscribedTopics)
  if (subscribedTopics instanceof InvalidGroupRequestError) return refuse(state, subscribedTopics)

  const draft = new GroupDraft(state, nowMs)
  const memberId = draft.mintMemberId(request.clientId ?? 'consumer')
  const fresh = {
    memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: request.clientId ?? 'consumer',
    subscribedTopics,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: request.rebalanceTimeoutMs,
    sessionDeadlineMs: nowMs + request.sessionTimeoutMs,
    revocationDeadlineMs: undefined,
    pendingRevocation: [],
    away: false,
  }
  const previous = [...draft.members.values()].find((m) => request.groupInstanceId !== undefined && m.groupInstanceId === request.groupInstanceId)
  if (previous !== undefined) {
    // The restarted process holds nothing yet: reconciling it with nothing owned releases what
    // its predecessor was giving up.
    draft.remove(previous.memberId, 'replaced', false)
    draft.put({ ...previous, ...fresh })
    if (!sameTopics(previous.subscribedTopics, subscribedTopics)) draft.changed(true)
  } else {
    draft.put({ ...fresh, generation: 0, assigned: [], target: [] })
    draft.changed(true)
  }
  const broken = draft.settle()
  if (broken !== undefined) return draft.abort(broken)
  return draft.finish({ _tag: 'Ok', value: draft.assignmentOf(draft.reconcile(memberId, [])) }, memberId)
}

export const heartbeat = (state: GroupState, request: HeartbeatRequest, nowMs: number): Transition<MemberAssignment> => {
  const { groupId } = state.config
  if (state.phase === 'Dead') return refuse(state, new UnknownGroupError({ groupId }))
  const draft = new GroupDraft(state, nowMs)
  const member = draft.members.get(request.memberId)
  if (member === undefined || member.away) return draft.finish({ _tag: 'Failed', error: new UnknownMemberError({ groupId, memberId: request.memberId }) })
  if (request.generation !== member.generation) {
    draft.remove(member.memberId, 'fenced')
    const error = new StaleGenerationError({ groupId, memberId: member.memberId, givenGeneration: request.generation, currentGeneration: member.generation })
    return draft.finish({ _tag: 'Failed', error })
  }
  let subscribedTopics = member.subscribedTopics
  if (request.subscribedTopics !== undefined) {
    const requested = subscription(state, request.subscribedTopics)
    if (requested instanceof InvalidGroupRequestError) return draft.finish({ _tag: 'Failed', error: requested })
    if (!sameTopics(requested, subscribedTopics)) draft.changed(true)
    subscribedTopics = requested
  }
  draft.put({ ...member, subscribedTopics, sessionDeadlineMs: nowMs + member.sessionTimeoutMs })
  const broken = draft.settle()
  if (broken !== undefined) return draft.abort(broken)
  return draft.finish({ _tag: 'Ok', value: draft.assignmentOf(draft.reconcile(member.memberId, request.owned)) }, member.memberId)
}

export const leaveGroup = (state: GroupState, request: LeaveGroupRequest, nowMs: number): Transition<void> => {
  const { groupId } = state.config
  if (state.phase === 'Dead') return refuse(state, new UnknownGroupError({ groupId }))
  const draft = new GroupDraft(state, nowMs)
  const member = draft.members.get(request.memberId)
  if (member === undefined || member.away) return draft.finish({ _tag: 'Failed', error: new UnknownMemberError({ groupId, memberId: request.memberId }) })
  if (member.groupInstanceId === undefined) draft.remove(member.memberId, 'left')
  else draft.put(away(member, nowMs))
  return draft.finish({ _tag: 'Ok', value: undefined })
}

/** A static member that left: its process holds nothing, its place is kept for a session. */
const away = (member: GroupMember, nowMs: number): GroupMember => ({
  ...member,
  away: true,
  assigned: filterByKeys(member.assigned, keySet(member.target), true),
  pendingRevocation: [],
  revocationDeadlineMs: undefined,
  sessionDeadlineMs: nowMs + member.sessionTimeoutMs,
})

/** Removes the members whose session or rebalance timeout has run out by `nowMs`. */
export const tick = (state: GroupState, nowMs: number): Transition<void> =>
  state.phase === 'Dead' ? { state, outcome: { _tag: 'Ok', value: undefined }, effects: [] } : new GroupDraft(state, nowMs).finish({ _tag: 'Ok', value: undefined })

/**
 * New partition counts. A change to a subscribed topic recomputes targets; the committed
 * offsets of a topic that disappeared (or of partitions beyond its count) are deleted.
 */
export const topicsChanged = (state: GroupState, request: TopicsChangedRequest, nowMs: number): Transition<void> => {
  if (state.phase === 'Dead') return { state, outcome: { _tag: 'Ok', value: undefined }, effects: [] }
  const draft = new GroupDraft(state, nowMs)
  const next = new Map(request.partitionsPerTopic)
  draft.topics = next
  const subscribed = new Set([...draft.members.values()].flatMap((member) => member.subscribedTopics))
  if ([...subscribed].some((topic) => state.topics.get(topic) !== next.get(topic))) draft.changed(true)
  for (const entry of state.committed.values()) {
    const known = state.topics.has(entry.topic)
    const count = next.get(entry.topic)
    if ((known && count === undefined) || (count !== undefined && entry.partition >= count)) {
      draft.writableCommitted().delete(topicPartitionKey(entry))
      draft.records.push({ _tag: 'OffsetDeleted', groupId: state.config.groupId, topic: entry.topic, partition: entry.partition })
    }
  }
  return draft.finish({ _tag: 'Ok', value: undefined })
}
