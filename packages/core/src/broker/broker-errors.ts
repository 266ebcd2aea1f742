/** Errors of the broker's own edges: its configuration and the files it keeps in `__cluster`. */
import { Data } from 'effect'

/** A broker setting that does not decode; `key` names it (`defaultTopicConfig.retentionMs`). */
export class InvalidBrokerConfigError extends Data.TaggedError('InvalidBrokerConfigError')<{
  readonly key: string
  readonly value: unknown
  readonly reason: string
}> {
  override get message(): string {
    return `invalid broker config ${this.key}=${JSON.stringify(this.value)}: ${this.reason}`
  }
}

/** A broker file (topic registry, producer-id block) that cannot be read back. */
export class CorruptClusterFileError extends Data.TaggedError('CorruptClusterFileError')<{
  readonly file: string
  readonly reason: string
}> {
  override get message(): string {
    return `corrupt broker file ${this.file}: ${this.reason}`
  }
}

/** A new topic name equal to an existing one once '.' and '_' are treated alike (as Kafka does). */
export class TopicNameCollisionError extends Data.TaggedError('TopicNameCollisionError')<{
  readonly topic: string
  readonly existing: string
}> {
  override get message(): string {
    return `topic "${this.topic}" collides with existing topic "${this.existing}": names that differ only in "." and "_" are not allowed`
  }
}

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
