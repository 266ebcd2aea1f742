// For Rivulet's own packages and tests: what the public entry does not promise.
export * from './index.js'
export { partitionActor, partitionLogDir, partitionPath } from './partition/partition-actor.js'
export type { PartitionActorOptions, PartitionCommand } from './partition/partition-actor.js'
export { ProducerIdBlock } from './broker/producer-id-block.js'
export { readTopicRegistry, topicRegistryFile, writeTopicRegistry } from './broker/topic-registry.js'
export { localConnection, lookupPartitionRef } from './client/local-connection.js'
export { Mailbox } from './actor/mailbox.js'
export { lockDataDir } from './data-dir-lock.js'
