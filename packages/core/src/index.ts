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
export type { BrokerMessage, ProducerIdentity, TopicConfig, TopicDescription, TopicMetadata } from './broker/broker-protocol.js'
export type { Acks, FetchResult, OffsetSpec, PartitionDescription, PartitionMessage, ProduceResult } from './partition/partition-protocol.js'
export { brokerPath, startBroker } from './broker/broker-actor.js'
export type { BrokerOptions } from './broker/broker-actor.js'
export { type BrokerLogger, consoleBrokerLogger } from './broker-logger.js'
export { decodeBrokerConfig } from './broker/broker-config.js'
export type { BrokerConfig, BrokerConfigInput } from './broker/broker-config.js'
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
export * from './actor/index.js'
// Consumer groups: assignors (plug in your own by implementing Assignor) and their errors.
export type { Assignment as GroupAssignment, AssignmentInput, Assignor, AssignorMember } from './group/assignor.js'
export { cooperativeStickyAssignor } from './group/assignors/cooperative-sticky.js'
export { rangeAssignor } from './group/assignors/range.js'
export { roundRobinAssignor } from './group/assignors/round-robin.js'
export * from './group/group-errors.js'
export type { GroupDescription } from './group/group-coordinator.js'
export type { GroupMessage } from './group/group-protocol.js'
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
