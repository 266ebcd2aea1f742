/**
 * For coordinator tests: a real broker (partitions, offsets topic, coordinators) on a temporary
 * data directory that can be restarted in place. It lives with the broker because it boots one;
 * the member that talks to a coordinator is group/test-support/test-member.ts.
 */
import type { ActorRef } from '../../actor/actor-ref.js'
import type { ActorSystem } from '../../actor/actor-system.js'
import { quietSystem } from '../../actor/test-support/fixtures.js'
import { startBroker } from '../broker-actor.js'
import type { BrokerConfigInput } from '../broker-config.js'
import type { BrokerMessage } from '../broker-protocol.js'
import { partitionPath } from '../../partition/partition-actor.js'
import type { PartitionMessage } from '../../partition/partition-protocol.js'
import { tempDir } from '../../partition/test-support/records.js'
import type { GroupMessage } from '../../group/group-protocol.js'
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../group/offsets-topic.js'

export const OFFSETS_PARTITIONS = 3

export interface GroupCluster {
  readonly system: ActorSystem
  readonly broker: ActorRef<BrokerMessage>
  readonly dataDir: string
  coordinator(groupId: string): Promise<ActorRef<GroupMessage>>
  /** The offsets-topic partition that holds `groupId`'s records. */
  offsetsPartition(groupId: string): ActorRef<PartitionMessage>
  createTopic(name: string, partitions: number): Promise<void>
  /** Shuts this broker down and starts another on the same data directory (`changes` laid over its config). */
  restart(changes?: Partial<BrokerConfigInput>): Promise<GroupCluster>
  shutdown(): Promise<void>
}

const bootOn = (dataDir: string, config: Partial<BrokerConfigInput>): GroupCluster => {
  const { system } = quietSystem()
  const full = { dataDir, clusterId: 'c1', defaultTopicConfig: { flush: 'os' }, offsetsTopicPartitions: OFFSETS_PARTITIONS, groupMinSessionTimeoutMs: 10, ...config }
  const broker = startBroker(system, full)
  return {
    system,
    broker,
    dataDir,
    async coordinator(groupId) {
      const path = await broker.ask((replyTo) => ({ _tag: 'FindCoordinator', groupId, replyTo }))
      return system.lookup<GroupMessage>(path)
    },
    offsetsPartition(groupId) {
      return system.lookup<PartitionMessage>(partitionPath('c1', 0, OFFSETS_TOPIC, offsetsPartitionFor(groupId, OFFSETS_PARTITIONS)))
    },
    async createTopic(name, partitions) {
      await broker.ask((replyTo) => ({ _tag: 'CreateTopic', name, partitions, config: {}, replyTo }))
    },
    async restart(changes = {}) {
      await system.shutdown()
      return bootOn(dataDir, { ...config, ...changes })
    },
    shutdown: () => system.shutdown(),
  }
}

/** A broker on a fresh directory, restartable in place; `cleanups` gets what removes it after the test. */
export const startGroupCluster = (cleanups: (() => unknown)[], config: Partial<BrokerConfigInput> = {}): GroupCluster => {
  const { dir, remove } = tempDir('groups')
  let current = bootOn(dir, config)
  cleanups.push(async () => {
    await current.shutdown()
    remove()
  })
  const track = (cluster: GroupCluster): GroupCluster => ({
    ...cluster,
    restart: async (changes) => (current = track(await cluster.restart(changes))),
  })
  return track(current)
}
