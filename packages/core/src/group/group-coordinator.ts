/**
 * The entry point a GroupCoordinatorActor wraps: one pure function per message, chosen by tag,
 * and a description of the group for admin tools. The actor keeps `state`, and per message
 * does `const t = handleGroupEvent(state, message, Date.now())`, stores `t.state`, replies with
 * `t.outcome` (after PersistOffsets is durable), carries out `t.effects`, and re-arms its timer
 * for `nextDeadlineMs(t.state)` to send Tick.
 */
import type { GroupEvent, GroupReplies, Transition } from './group-messages.js'
import { isReconciled, type GroupPhase, type GroupState } from './group-state.js'
import { heartbeat, joinGroup, leaveGroup, tick, topicsChanged } from './membership.js'
import { commitOffsets, deleteGroup, fetchOffsets } from './offsets.js'
import { compareStrings, type TopicPartition } from './topic-partition.js'

/** The transition for one message; the reply type follows the message's tag. */
export const handleGroupEvent = <E extends GroupEvent>(state: GroupState, event: E, nowMs: number): Transition<GroupReplies[E['_tag']]> =>
  // Each case returns its own message's reply type; the switch cannot show TypeScript that.
  dispatch(state, event, nowMs) as Transition<GroupReplies[E['_tag']]>

const dispatch = (state: GroupState, event: GroupEvent, nowMs: number): Transition<unknown> => {
  switch (event._tag) {
    case 'JoinGroup':
      return joinGroup(state, event, nowMs)
    case 'Heartbeat':
      return heartbeat(state, event, nowMs)
    case 'LeaveGroup':
      return leaveGroup(state, event, nowMs)
    case 'CommitOffsets':
      return commitOffsets(state, event, nowMs)
    case 'FetchOffsets':
      return fetchOffsets(state, event, nowMs)
    case 'Tick':
      return tick(state, nowMs)
    case 'TopicsChanged':
      return topicsChanged(state, event, nowMs)
    case 'DeleteGroup':
      return deleteGroup(state, nowMs)
    default: {
      const unhandled: never = event
      throw new Error(`unhandled group event ${JSON.stringify(unhandled)}`)
    }
  }
}

export interface MemberDescription {
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  readonly generation: number
  readonly subscribedTopics: readonly string[]
  readonly assigned: readonly TopicPartition[]
  readonly pendingRevocation: readonly TopicPartition[]
  readonly target: readonly TopicPartition[]
  readonly away: boolean
  readonly reconciled: boolean
}

export interface GroupDescription {
  readonly groupId: string
  readonly phase: GroupPhase
  readonly generation: number
  readonly assignor: string
  /** By member id. */
  readonly members: readonly MemberDescription[]
}

export const describeGroup = (state: GroupState): GroupDescription => ({
  groupId: state.config.groupId,
  phase: state.phase,
  generation: state.generation,
  assignor: state.config.assignor.name,
  members: [...state.members.values()]
    .sort((a, b) => compareStrings(a.memberId, b.memberId))
    .map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      generation: member.generation,
      subscribedTopics: member.subscribedTopics,
      assigned: member.assigned,
      pendingRevocation: member.pendingRevocation,
      target: member.target,
      away: member.away,
      reconciled: isReconciled(member, state.generation),
    })),
})
