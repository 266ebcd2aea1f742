/**
 * Kafka's range assignor: topic by topic, the topic's subscribers in member order each take a
 * contiguous range of its partitions; the first (partitions % subscribers) take one more. Not
 * sticky, and with several topics the first members carry the extras of every topic.
 */
import { compareMembers, type Assignor, type AssignmentInput } from '../assignor.js'
import { compareStrings, type TopicPartition } from '../topic-partition.js'

export const rangeAssignor: Assignor = {
  name: 'range',
  assign({ members, partitionsPerTopic }: AssignmentInput) {
    const sorted = [...members].sort(compareMembers)
    const result = new Map<string, TopicPartition[]>(sorted.map((member) => [member.memberId, []]))
    const topics = [...new Set(sorted.flatMap((member) => member.subscribedTopics))].sort(compareStrings)
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic) ?? 0
      const subscribers = sorted.filter((member) => member.subscribedTopics.includes(topic))
      const perMember = Math.floor(count / subscribers.length)
      const withExtra = count % subscribers.length
      subscribers.forEach((member, i) => {
        const start = perMember * i + Math.min(i, withExtra)
        const length = perMember + (i < withExtra ? 1 : 0)
        const mine = result.get(member.memberId)!
        for (let partition = start; partition < start + length; partition++) mine.push({ topic, partition })
      })
    }
    return result
  },
}
