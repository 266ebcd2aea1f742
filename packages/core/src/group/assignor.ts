/**
 * The Assignor contract: given the group's members (their subscriptions and what each owns now)
 * and the partition counts of the subscribed topics, say which partitions each member gets.
 * Range, round-robin and cooperative-sticky live in ./assignors/; a custom assignor is any other
 * object with this shape. The coordinator checks every answer with validateAssignment.
 */
import { InvalidAssignmentError } from './group-errors.js'
import { compareStrings, partitionsOf, topicPartitionKey, type TopicPartition } from './topic-partition.js'

export interface AssignorMember {
  readonly memberId: string
  /** Set for static members; Kafka orders them by it, so a restarted instance keeps its place. */
  readonly groupInstanceId?: string | undefined
  readonly subscribedTopics: readonly string[]
  /**
   * The member's current target: what it owns or is about to own. Sticky assignors keep these
   * where they can; others ignore them. May name partitions that no longer exist.
   */
  readonly owned: readonly TopicPartition[]
}

export interface AssignmentInput {
  readonly members: readonly AssignorMember[]
  /** Partition counts of (at least) every subscribed topic that exists. */
  readonly partitionsPerTopic: ReadonlyMap<string, number>
}

/** Member id -> its partitions. */
export type Assignment = ReadonlyMap<string, readonly TopicPartition[]>

/**
 * Must be a pure function of its input (the same members in any order give the same answer),
 * and must give every partition of every topic some member subscribes to to exactly one member
 * subscribed to that topic, and nothing else.
 */
export interface Assignor {
  readonly name: string
  assign(input: AssignmentInput): Assignment
}

/**
 * Kafka's member order for range and round-robin: static members first, by instance id, then
 * the others by member id.
 */
export const compareMembers = (a: AssignorMember, b: AssignorMember): number => {
  if (a.groupInstanceId !== undefined && b.groupInstanceId !== undefined) {
    return compareStrings(a.groupInstanceId, b.groupInstanceId) || compareStrings(a.memberId, b.memberId)
  }
  if (a.groupInstanceId !== undefined) return -1
  if (b.groupInstanceId !== undefined) return 1
  return compareStrings(a.memberId, b.memberId)
}

/** Every partition of every existing topic that at least one member subscribes to, sorted. */
export const subscribedPartitions = (input: AssignmentInput): TopicPartition[] =>
  partitionsOf(
    input.members.flatMap((member) => member.subscribedTopics),
    input.partitionsPerTopic,
  )

/** The contract check the coordinator applies to every assignor's answer. */
export const validateAssignment = (
  assignor: string,
  input: AssignmentInput,
  assignment: Assignment,
): InvalidAssignmentError | undefined => {
  const fail = (reason: string) => new InvalidAssignmentError({ assignor, reason })
  const subscriptions = new Map(input.members.map((member) => [member.memberId, new Set(member.subscribedTopics)]))
  const owners = new Map<string, string>()
  for (const [memberId, partitions] of assignment) {
    const topics = subscriptions.get(memberId)
    if (topics === undefined) return fail(`it names "${memberId}", which is not a member`)
    for (const tp of partitions) {
      const count = input.partitionsPerTopic.get(tp.topic)
      if (count === undefined || !Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= count) {
        return fail(`${tp.topic}-${tp.partition} does not exist`)
      }
      if (!topics.has(tp.topic)) return fail(`${tp.topic}-${tp.partition} went to "${memberId}", which does not subscribe to "${tp.topic}"`)
      const key = topicPartitionKey(tp)
      const other = owners.get(key)
      if (other !== undefined) return fail(`${tp.topic}-${tp.partition} went to both "${other}" and "${memberId}"`)
      owners.set(key, memberId)
    }
  }
  for (const tp of subscribedPartitions(input)) {
    if (!owners.has(topicPartitionKey(tp))) return fail(`${tp.topic}-${tp.partition} went to nobody`)
  }
  return undefined
}
