/**
 * The client API: admin, producer, consumer (plain and in a group), typed topics and the
 * produce/processed/commitOffsets operators. The group errors and assignors are exported beside
 * it, from ../group.
 */
export { Admin } from './admin.js'
export type { AdminOptions, CreateTopicOptions, PartitionOffset } from './admin.js'
export type { ConsumerGroupDescription, GroupListing, GroupMemberDescription, GroupPartitionOffsets, ResetOffsetsSpec, ResetTo } from './group-admin.js'
export type { ClusterConnection } from './cluster-connection.js'
export { Consumer } from './consumer.js'
export type { DeadLetter, DeadLetterSink } from './dead-letter-sink.js'
export type { Assignment, ConsumerStats, PartitionTargets, RecordOf, SeekTo, StartFrom, SubscribeOptions } from './consumer.js'
export { GroupConsumer } from './group-consumer.js'
export type { GroupMetadata, RebalanceEvent } from './group-consumer.js'
export type { AssignorChoice, GroupConsumerOptionsInput } from './group-options.js'
export {
  AlreadySubscribedError,
  CommitWithoutGroupError,
  InvalidArgumentError,
  InvalidClientOptionError,
  InvalidPartitionChoiceError,
  InvalidProducerRecordError,
  NoCommittedOffsetError,
  NotAConsumerRecordError,
  PartialSendError,
  PartitionAssignmentError,
  PartitionOffsetOutOfRangeError,
  RecordDecodeError,
} from './errors.js'
export { KafkaJsStyleCallError } from './kafkajs-shapes.js'
export { acknowledge, isAcknowledgingSubscription, subscribeAcknowledging } from './acknowledgement.js'
export { commitOffsets } from './operators/commit-offsets.js'
export { processed } from './operators/processed.js'
export { produce } from './operators/produce.js'
export type { ClientLogger, ConsumerOptionsInput, DecodeErrorPolicy, ProducerOptionsInput } from './options.js'
export { createDefaultPartitioner } from './partitioner.js'
export { keyedPartition, murmur2 } from '../partitioning/murmur2.js'
export type { BatchAwarePartitioner, Partitioner, PartitionerArgs } from './partitioner.js'
export { Producer } from './producer.js'
export type { SendRecordResult } from './errors.js'
export type { ConsumerRecord, HeadersInput, ProducerRecord, RecordHeader, RecordMetadata, TopicPartition } from './records.js'
export type { RawRecord } from './record-decoder.js'
export type { ProducerStats } from './sender.js'
export { topic } from './topic.js'
export type { KeyIn, KeyOut, RawInput, Topic, TopicLike, ValueIn, ValueOut } from './topic.js'
