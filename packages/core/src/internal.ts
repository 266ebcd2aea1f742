/**
 * @rivulet/core/internal: for Rivulet's own packages and tests, NOT a stable API; anything here
 * may change or go in any release. The public entry (@rivulet/core) is what users build on.
 * Here: the actor runtime, the broker's and partitions' actors and protocols, the decoders of
 * their configs, and the storage pieces the CLI's offline log tools use.
 */
export * from './index.js'
export * from './actor/index.js'
export type { BrokerMessage, ProducerIdentity } from './broker/broker-protocol.js'
export type { FetchResult, PartitionMessage, ProduceResult } from './partition/partition-protocol.js'
export { brokerPath, startBroker } from './broker/broker-actor.js'
export type { BrokerOptions } from './broker/broker-actor.js'
export { consoleBrokerLogger } from './broker-logger.js'
export { decodeBrokerConfig } from './broker/broker-config.js'
export type { BrokerConfig } from './broker/broker-config.js'
export type { GroupDescription } from './group/group-coordinator.js'
export type { GroupMessage } from './group/group-protocol.js'
export { partitionActor, partitionLogDir, partitionPath } from './partition/partition-actor.js'
export type { PartitionActorOptions, PartitionCommand } from './partition/partition-actor.js'
export { ProducerIdBlock } from './broker/producer-id-block.js'
export { readTopicRegistry, topicRegistryFile, writeTopicRegistry } from './broker/topic-registry.js'
export { localConnection, lookupPartitionRef } from './client/local-connection.js'
export { Mailbox } from './actor/mailbox.js'
export { lockDataDir } from './data-dir-lock.js'
export * from './log-tools.js'
export { enqueueRecord } from './client/producer.js'
