/**
 * The broker's own topics (`__consumer_offsets`...): how their names are told apart, and the error
 * for a user operation on one. Shared by the broker, its partitions and the client, so it sits
 * below all three.
 */
import { Data } from 'effect'

/** Topics whose name starts with this are the broker's own: users may not create or delete them. */
export const INTERNAL_TOPIC_PREFIX = '__'

export const isInternalTopic = (name: string): boolean => typeof name === 'string' && name.startsWith(INTERNAL_TOPIC_PREFIX)

/**
 * A change to a topic the broker keeps for itself (its name starts with `__`, e.g.
 * `__consumer_offsets`): users may read and describe it, not create, delete, grow, reconfigure or
 * produce to it (its coordinator writes it).
 */
export class InternalTopicError extends Data.TaggedError('InternalTopicError')<{
  readonly topic: string
  readonly operation: 'create' | 'delete' | 'create partitions' | 'alter config' | 'produce'
}> {
  override get message(): string {
    const what = { create: 'create', delete: 'delete', 'create partitions': 'add partitions to', 'alter config': 'alter the config of', produce: 'produce to' }
    return `cannot ${what[this.operation]} topic "${this.topic}": names starting with "__" are reserved for the broker's internal topics`
  }
}
