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
 * `__cluster/topics.json` is missing or damaged and the partition directories cannot stand in for
 * it: `file` (a directory's `partition.metadata`) is missing, unreadable or disagrees with another.
 */
export class RegistryRebuildError extends Data.TaggedError('RegistryRebuildError')<{
  readonly registry: string
  readonly file: string
  readonly reason: string
}> {
  override get message(): string {
    return (
      `cannot rebuild the topic registry ${this.registry} from the partition directories: ${this.file}: ${this.reason}. ` +
      `Restore ${this.registry} from a backup, or repair ${this.file} (or move its partition directory out of the data directory), then open again`
    )
  }
}

/**
 * A directory under a new partition's name that holds records of a topic the registry does not
 * know: it is never deleted to make room.
 */
export class StrayPartitionDirectoryError extends Data.TaggedError('StrayPartitionDirectoryError')<{
  readonly topic: string
  readonly dir: string
}> {
  override get message(): string {
    return (
      `cannot create topic "${this.topic}": ${this.dir} holds records of a topic this broker does not know; ` +
      'move it out of the data directory (or restore the topic registry that knew it) first'
    )
  }
}

/** A partition directory whose metadata names another topic than the registry: two topics' data meet. */
export class PartitionDirectoryMismatchError extends Data.TaggedError('PartitionDirectoryMismatchError')<{
  readonly file: string
  readonly expectedTopicId: string
  readonly foundTopicId: string
}> {
  override get message(): string {
    return (
      `${this.file} belongs to topic id ${this.foundTopicId}, but the registry's topic of that name has id ${this.expectedTopicId}, ` +
      'and the directory holds records: move the directory out of the data directory if its records are not wanted'
    )
  }
}

/** A topic or partition count above the broker's `maxPartitionsPerTopic`. */
export class TooManyPartitionsError extends Data.TaggedError('TooManyPartitionsError')<{
  readonly topic: string
  readonly partitions: number
  readonly maxPartitionsPerTopic: number
}> {
  override get message(): string {
    return `topic "${this.topic}" cannot have ${this.partitions} partitions: the broker allows at most ${this.maxPartitionsPerTopic} per topic (maxPartitionsPerTopic)`
  }
}

/**
 * A topic (or its new partitions) could not be created whole: `partition` failed to open, or
 * (partition undefined) the topic registry could not be written; `code` is the system's (e.g.
 * EMFILE: too many open files). Nothing of it was kept.
 */
export class TopicCreationFailedError extends Data.TaggedError('TopicCreationFailedError')<{
  readonly topic: string
  readonly partition: number | undefined
  readonly code: string | undefined
  readonly reason: string
}> {
  override get message(): string {
    const what = this.partition === undefined ? 'the topic registry could not be written' : `partition ${this.partition} could not open its log`
    return `topic "${this.topic}" was not created: ${what} (${this.reason}); nothing of it was kept`
  }
}
