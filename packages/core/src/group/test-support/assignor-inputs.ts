/** fast-check generators of assignor inputs, and helpers to read assignments, for the assignor tests. */
import fc from 'fast-check'
import type { Assignment, AssignmentInput, AssignorMember } from '../assignor.js'
import { compareStrings, sortTopicPartitions, topicPartitionKey, type TopicPartition } from '../topic-partition.js'

export const TOPICS = ['alpha', 'beta', 'gamma', 'delta']

export interface InputOptions {
  /** Every member subscribes to the same topics. */
  readonly equalSubscriptions?: boolean
  /** Members claim random partitions (some nonexistent, some claimed twice). */
  readonly randomOwned?: boolean
  readonly minMembers?: number
  readonly maxMembers?: number
  readonly maxPartitions?: number
}

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition })

export const assignorInput = (options: InputOptions = {}): fc.Arbitrary<AssignmentInput> =>
  fc
    .record({
      counts: fc.array(fc.integer({ min: 1, max: options.maxPartitions ?? 12 }), { minLength: TOPICS.length, maxLength: TOPICS.length }),
      missing: fc.subarray(TOPICS, { maxLength: 1 }),
      ids: fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { minLength: options.minMembers ?? 1, maxLength: options.maxMembers ?? 8 }),
      shared: fc.subarray(TOPICS, { minLength: 1 }),
    })
    .chain(({ counts, missing, ids, shared }) =>
      fc
        .tuple(
          ...ids.map((id) =>
            fc.record({
              memberId: fc.constant(`member-${id}`),
              groupInstanceId: fc.option(fc.constant(`instance-${999 - id}`), { nil: undefined }),
              subscribedTopics: options.equalSubscriptions ? fc.constant(shared) : fc.subarray(TOPICS, { minLength: 1 }),
              owned: options.randomOwned
                ? fc.array(fc.tuple(fc.constantFrom(...TOPICS), fc.integer({ min: 0, max: 13 })).map(([t, p]) => tp(t, p)), { maxLength: 10 })
                : fc.constant([]),
            }),
          ),
        )
        .map((members) => ({
          members,
          partitionsPerTopic: new Map(TOPICS.filter((topic) => !missing.includes(topic)).map((topic, i) => [topic, counts[i]!])),
        })),
    )

/** The same input with members, subscriptions and owned partitions in another order. */
export const reordered = (input: AssignmentInput, seed: number): AssignmentInput => {
  const rotate = <T>(items: readonly T[]): T[] => {
    const k = items.length === 0 ? 0 : seed % items.length
    return [...items.slice(k), ...items.slice(0, k)].reverse()
  }
  return {
    members: rotate(input.members).map((m) => ({ ...m, subscribedTopics: rotate(m.subscribedTopics), owned: rotate(m.owned) })),
    partitionsPerTopic: new Map(rotate([...input.partitionsPerTopic])),
  }
}

/** Member id -> sorted partition list, members in id order: comparable with toEqual. */
export const normalized = (assignment: Assignment): Array<[string, TopicPartition[]]> =>
  [...assignment].map(([id, tps]): [string, TopicPartition[]] => [id, sortTopicPartitions(tps)]).sort((a, b) => compareStrings(a[0], b[0]))

export const countOf = (assignment: Assignment, memberId: string): number => assignment.get(memberId)?.length ?? 0

export const ownerMap = (assignment: Assignment): Map<string, string> => {
  const owners = new Map<string, string>()
  for (const [id, tps] of assignment) for (const p of tps) owners.set(topicPartitionKey(p), id)
  return owners
}

/** Members carrying `assignment` as what they own, for the next round. */
export const withOwned = (members: readonly AssignorMember[], assignment: Assignment): AssignorMember[] =>
  members.map((m) => ({ ...m, owned: assignment.get(m.memberId) ?? [] }))

/** Kafka's balance test: no partition could go to a member of its topic with two fewer. */
export const isBalanced = (input: AssignmentInput, assignment: Assignment): boolean => {
  const subscribers = (topic: string) => input.members.filter((m) => m.subscribedTopics.includes(topic))
  for (const tps of assignment.values()) {
    for (const p of tps) {
      for (const other of subscribers(p.topic)) if (countOf(assignment, other.memberId) < tps.length - 1) return false
    }
  }
  return true
}

export const parseTps = (spec: string): TopicPartition[] =>
  spec === '' ? [] : spec.split(' ').map((s) => tp(s.slice(0, s.lastIndexOf('p')), Number(s.slice(s.lastIndexOf('p') + 1))))
