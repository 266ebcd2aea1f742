/**
 * @rivulet/core: the embedded broker and its clients. Offsets are `bigint` at this API (Kafka's
 * int64); record keys and values of untyped topics are Buffers.
 */
export { Rivulet } from './rivulet.js'
export type { EmbeddedOptions } from './rivulet.js'
export { CorruptDataDirLockError, DataDirLockContendedError, DataDirLockedError } from './data-dir-lock.js'
export * from './client/index.js'
export * from './errors.js'
export { Serde } from './serde/serde.js'
export type { SerdeContext } from './serde/serde.js'
export { DeserializationError, SerializationError } from './serde/errors.js'
export type { SerdeIssue } from './serde/errors.js'
export { InvalidTopicNameError, validateTopicName } from './topic-name.js'
export type { TopicConfig, TopicDescription, TopicMetadata } from './broker/broker-protocol.js'
export type { Acks, OffsetSpec, PartitionDescription } from './partition/partition-protocol.js'
export type { BrokerLogger } from './broker-logger.js'
export type { BrokerConfigInput } from './broker/broker-config.js'
// What an ask inside the embedded broker can fail with, once a client's retries are spent.
export * from './actor/errors.js'
export {
  CorruptClusterFileError,
  InvalidBrokerConfigError,
  PartitionDirectoryMismatchError,
  RegistryRebuildError,
  StrayPartitionDirectoryError,
  TooManyPartitionsError,
  TopicCreationFailedError,
  TopicNameCollisionError,
} from './broker/broker-errors.js'
export { UnsupportedRecordBatchError } from './partition/produce-validation.js'
// Consumer groups: assignors (plug in your own by implementing Assignor) and their errors.
export type { Assignment as GroupAssignment, AssignmentInput, Assignor, AssignorMember } from './group/assignor.js'
export { cooperativeStickyAssignor } from './group/assignors/cooperative-sticky.js'
export { rangeAssignor } from './group/assignors/range.js'
export { roundRobinAssignor } from './group/assignors/round-robin.js'
export * from './group/group-errors.js'
export type { GroupListing } from './broker/broker-protocol.js'
export { InternalTopicError } from './internal-topics.js'
// The storage errors a client can meet through the broker (offsets out of range, bad config...).
export {
  CorruptRecordBatchError,
  InvalidLogConfigError,
  LogCorruptedError,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
  LogNeedsRecoveryError,
  StorageFullError,
  StorageWriteError,
} from '@rivulet/storage'
export type { LogConfigInput } from '@rivulet/storage'
