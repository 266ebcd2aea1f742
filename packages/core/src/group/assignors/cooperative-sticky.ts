/**
 * Kafka's cooperative-sticky assignor: a balanced assignment that moves as few partitions as
 * possible away from their current owners. "Balanced" is Kafka's definition: no partition could
 * go to another member subscribed to its topic that has at least two fewer partitions than its
 * owner; so members with equal subscriptions differ by at most one partition.
 *
 * Behavior:
 * - Each member keeps the partitions it owns that still exist and that it still subscribes to
 *   (a partition claimed by two members stays with the first in member-id order).
 * - The rest go, those with the fewest eligible members first, each to the eligible member
 *   with the fewest partitions (ties: member-id order).
 * - Then, while a member holds a partition that a member with two fewer could take, one such
 *   partition moves, from the heaviest such member to the lightest taker; a partition the giver
 *   has just been given moves before one it owned. Every move lowers the sum of squared
 *   counts, so this ends.
 * Being cooperative is the coordinator's part: only the partitions that change owner are revoked.
 */
import type { Assignor, AssignmentInput } from '../assignor.js'
import { compareStrings, compareTopicPartitions, partitionsOf, topicPartitionKey, type TopicPartition } from '../topic-partition.js'

interface Holder {
  readonly memberId: string
  readonly topics: ReadonlySet<string>
  readonly previous: ReadonlySet<string>
  readonly partitions: TopicPartition[]
}

const lightest = (candidates: readonly Holder[]): Holder | undefined => {
  let best: Holder | undefined
  for (const candidate of candidates) if (best === undefined || candidate.partitions.length < best.partitions.length) best = candidate
  return best
}

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  assign({ members, partitionsPerTopic }: AssignmentInput) {
    const holders: Holder[] = [...members]
      .sort((a, b) => compareStrings(a.memberId, b.memberId))
      .map((member) => ({
        memberId: member.memberId,
        topics: new Set(member.subscribedTopics),
        previous: new Set(member.owned.map(topicPartitionKey)),
        partitions: [],
      }))
    const subscribersOf = new Map<string, Holder[]>()
    for (const holder of holders) {
      for (const topic of holder.topics) {
        if (!partitionsPerTopic.has(topic)) continue
        const list = subscribersOf.get(topic) ?? []
        list.push(holder)
        subscribersOf.set(topic, list)
      }
    }

    const taken = new Set<string>()
    const byId = new Map(holders.map((holder) => [holder.memberId, holder]))
    for (const member of [...members].sort((a, b) => compareStrings(a.memberId, b.memberId))) {
      const holder = byId.get(member.memberId)!
      for (const tp of [...member.owned].sort(compareTopicPartitions)) {
        const key = topicPartitionKey(tp)
        const count = partitionsPerTopic.get(tp.topic) ?? 0
        if (taken.has(key) || !holder.topics.has(tp.topic) || tp.partition < 0 || tp.partition >= count) continue
        taken.add(key)
        holder.partitions.push({ topic: tp.topic, partition: tp.partition })
      }
    }

    const unassigned = partitionsOf(subscribersOf.keys(), partitionsPerTopic).filter((tp) => !taken.has(topicPartitionKey(tp)))
    // Stable sort: (topic, partition) order among partitions with as many eligible members.
    unassigned.sort((a, b) => subscribersOf.get(a.topic)!.length - subscribersOf.get(b.topic)!.length)
    for (const tp of unassigned) lightest(subscribersOf.get(tp.topic)!)!.partitions.push(tp)

    for (;;) {
      const move = findMove(holders, subscribersOf)
      if (move === undefined) break
      const { from, to, tp } = move
      from.partitions.splice(from.partitions.indexOf(tp), 1)
      to.partitions.push(tp)
    }
    return new Map(holders.map((holder) => [holder.memberId, [...holder.partitions].sort(compareTopicPartitions)]))
  },
}

/**
 * One partition that a member with two fewer could take from the heaviest member able to give,
 * preferring one the giver has just been given over one it owned.
 */
const findMove = (
  holders: readonly Holder[],
  subscribersOf: ReadonlyMap<string, Holder[]>,
): { from: Holder; to: Holder; tp: TopicPartition } | undefined => {
  const heaviestFirst = [...holders].sort((a, b) => b.partitions.length - a.partitions.length)
  for (const from of heaviestFirst) {
    let owned: { from: Holder; to: Holder; tp: TopicPartition } | undefined
    const receivers = new Map<string, Holder | undefined>()
    for (const tp of [...from.partitions].sort(compareTopicPartitions).reverse()) {
      if (!receivers.has(tp.topic)) {
        const to = lightest(subscribersOf.get(tp.topic)!.filter((holder) => holder !== from))
        receivers.set(tp.topic, to !== undefined && to.partitions.length < from.partitions.length - 1 ? to : undefined)
      }
      const to = receivers.get(tp.topic)
      if (to === undefined) continue
      if (!from.previous.has(topicPartitionKey(tp))) return { from, to, tp }
      owned ??= { from, to, tp }
    }
    if (owned !== undefined) return owned
  }
  return undefined
}
