/**
 * For coordinator tests: a real broker (partitions, offsets topic, coordinators) on a temporary
 * data directory that can be restarted in place, and a TestMember that speaks the coordinator's
 * protocol the way a well-behaved consumer does.
 */
import type { ActorRef } from '../../actor/actor-ref.js'
import type { ActorSystem } from '../../actor/actor-system.js'
import { quietSystem } from '../../actor/test-support/fixtures.js'
import { startBroker } from '../../broker/broker-actor.js'
import type { BrokerConfigInput } from '../../broker/broker-config.js'
import type { BrokerMessage } from '../../broker/broker-protocol.js'
import { partitionPath } from '../../partition/partition-actor.js'
import type { PartitionMessage } from '../../partition/partition-protocol.js'
import { tempDir } from '../../partition/test-support/records.js'
import type { CommitOffsetsReply, MemberAssignment, OffsetToCommit } from '../group-messages.js'
import type { GroupMessage } from '../group-protocol.js'
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../offsets-topic.js'
import type { TopicPartition } from '../topic-partition.js'

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

export const offsets = (...entries: readonly [string, number, bigint][]): OffsetToCommit[] =>
  entries.map(([topic, partition, offset]) => ({ topic, partition, offset }))

/** A consumer as the coordinator sees one: it holds exactly what its last reply assigned. */
export class TestMember {
  memberId = ''
  generation = 0
  assignment: readonly TopicPartition[] = []

  constructor(private readonly coordinator: ActorRef<GroupMessage>) {}

  async join(subscribedTopics: readonly string[], extra: { sessionTimeoutMs?: number; groupInstanceId?: string } = {}): Promise<MemberAssignment> {
    const reply = await this.coordinator.ask((replyTo) => ({
      _tag: 'JoinGroup',
      subscribedTopics,
      sessionTimeoutMs: extra.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: 5_000,
      ...(extra.groupInstanceId === undefined ? {} : { groupInstanceId: extra.groupInstanceId }),
      replyTo,
    }))
    return this.told(reply)
  }

  /** A heartbeat reporting what it holds; with `waitMs` a long poll. */
  async heartbeat(waitMs = 0): Promise<MemberAssignment> {
    const { memberId, generation, assignment: owned } = this
    return this.told(await this.coordinator.ask((replyTo) => ({ _tag: 'Heartbeat', memberId, generation, owned, waitMs, replyTo })))
  }

  commit(...entries: readonly [string, number, bigint][]): Promise<CommitOffsetsReply> {
    const member = { memberId: this.memberId, generation: this.generation }
    return this.coordinator.ask((replyTo) => ({ _tag: 'CommitOffsets', member, offsets: offsets(...entries), replyTo }))
  }

  leave(): Promise<void> {
    return this.coordinator.ask((replyTo) => ({ _tag: 'LeaveGroup', memberId: this.memberId, replyTo }))
  }

  private told(reply: MemberAssignment): MemberAssignment {
    this.memberId = reply.memberId
    this.generation = reply.generation
    this.assignment = reply.assignment
    return reply
  }
}

/** Every member heartbeats (no waiting) until the group is Stable. */
export const converge = async (coordinator: ActorRef<GroupMessage>, members: readonly TestMember[]): Promise<void> => {
  for (let round = 0; round < 10; round++) {
    const { phase } = await coordinator.ask((replyTo) => ({ _tag: 'DescribeGroup', replyTo }))
    if (phase === 'Stable') return
    for (const member of members) await member.heartbeat()
  }
  throw new Error('the group did not become Stable')
}

export const describeOf = (coordinator: ActorRef<GroupMessage>) => coordinator.ask((replyTo) => ({ _tag: 'DescribeGroup', replyTo }))

export const fetchOffsets = (coordinator: ActorRef<GroupMessage>) => coordinator.ask((replyTo) => ({ _tag: 'FetchOffsets', replyTo }))

/** The committed offsets as `topic-partition=offset` text, sorted, for toEqual. */
export const committedText = async (coordinator: ActorRef<GroupMessage>): Promise<string[]> =>
  (await fetchOffsets(coordinator)).offsets.map((o) => `${o.topic}-${o.partition}=${o.committed?.offset}`)

export const specs = (tps: readonly TopicPartition[]): string => tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')
