/**
 * Kafka's round-robin assignor: all subscribed partitions in (topic, partition) order are dealt
 * to the members in member order, skipping members not subscribed to the partition's topic.
 * Balanced when subscriptions are equal; not sticky.
 */
import { compareMembers, subscribedPartitions, type Assignor, type AssignmentInput } from '../assignor.js'
import type { TopicPartition } from '../topic-partition.js'

export const roundRobinAssignor: Assignor = {
  name: 'round-robin',
  assign(input: AssignmentInput) {
    const sorted = [...input.members].sort(compareMembers)
    const subscriptions = sorted.map((member) => new Set(member.subscribedTopics))
    const result = new Map<string, TopicPartition[]>(sorted.map((member) => [member.memberId, []]))
    let next = 0
    for (const tp of subscribedPartitions(input)) {
      // Some member subscribes to every topic subscribedPartitions returns, so this ends.
      while (!subscriptions[next % sorted.length]!.has(tp.topic)) next++
      result.get(sorted[next % sorted.length]!.memberId)!.push(tp)
      next++
    }
    return result
  },
}
