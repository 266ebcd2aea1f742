/**
 * The topic-partition pair a consumer group hands out, with the one ordering (topic, then
 * partition) and the set helpers that the assignors and the coordinator share.
 */

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/** A string identity for maps and sets; NUL cannot appear in a topic name. */
export const topicPartitionKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`

/** Code-unit order, the same on every machine (localeCompare is not). */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export const compareTopicPartitions = (a: TopicPartition, b: TopicPartition): number =>
  compareStrings(a.topic, b.topic) || a.partition - b.partition

/** A sorted copy without duplicates. */
export const sortTopicPartitions = (tps: Iterable<TopicPartition>): TopicPartition[] => {
  const unique = new Map<string, TopicPartition>()
  for (const tp of tps) unique.set(topicPartitionKey(tp), { topic: tp.topic, partition: tp.partition })
  return [...unique.values()].sort(compareTopicPartitions)
}

export const keySet = (tps: Iterable<TopicPartition>): Set<string> => {
  const keys = new Set<string>()
  for (const tp of tps) keys.add(topicPartitionKey(tp))
  return keys
}

/** The members of `tps` whose key is (keep = true) or is not (keep = false) in `keys`. */
export const filterByKeys = (tps: readonly TopicPartition[], keys: ReadonlySet<string>, keep: boolean): TopicPartition[] =>
  tps.filter((tp) => keys.has(topicPartitionKey(tp)) === keep)

export const sameTopicPartitions = (a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean => {
  const keys = keySet(a)
  const other = keySet(b)
  if (keys.size !== other.size) return false
  for (const key of other) if (!keys.has(key)) return false
  return true
}

/** Every partition 0..n-1 of each topic in `topics` that `partitionsPerTopic` knows, sorted. */
export const partitionsOf = (topics: Iterable<string>, partitionsPerTopic: ReadonlyMap<string, number>): TopicPartition[] => {
  const result: TopicPartition[] = []
  for (const topic of [...new Set(topics)].sort(compareStrings)) {
    const count = partitionsPerTopic.get(topic) ?? 0
    for (let partition = 0; partition < count; partition++) result.push({ topic, partition })
  }
  return result
}

export const formatTopicPartition = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`
