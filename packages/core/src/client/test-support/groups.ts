/**
 * For the consumer-group client tests: a cluster with a topic, a producer, group consumers with
 * short timeouts, and small helpers to wait for a condition and to collect what each consumer
 * read and was assigned.
 */
import { concatMap, defer, map } from 'rxjs'
import type { ActorRef, AskOptions, ReplyTo } from '../../actor/actor-ref.js'
import type { BrokerConfigInput } from '../../broker/broker-config.js'
import type { MemberAssignment } from '../../group/group-messages.js'
import type { GroupMessage } from '../../group/group-protocol.js'
import { Admin } from '../admin.js'
import { GroupConsumer } from '../group-consumer.js'
import type { RebalanceEvent } from '../group-member.js'
import type { GroupConsumerOptionsInput } from '../group-options.js'
import { commitOffsets } from '../operators/commit-offsets.js'
import { Producer } from '../producer.js'
import type { ConsumerRecord } from '../records.js'
import { startTestCluster, type TestCluster } from './cluster.js'

export interface GroupTestSetup {
  readonly cluster: TestCluster
  readonly admin: Admin
  readonly producer: Producer
  /** A group consumer of group 'g' (unless told otherwise), closed after the test. */
  consumer(options?: Partial<GroupConsumerOptionsInput>): GroupConsumer
  /** Sends `count` records to every partition of `topic`, values `<partition>:<i>` from `from`. */
  fill(partitions: number, count: number, from?: number, topic?: string): Promise<void>
}

export const fastGroupOptions = {
  groupId: 'g',
  fetchMaxWaitMs: 20,
  sessionTimeoutMs: 3000,
  heartbeatIntervalMs: 200,
  rebalanceTimeoutMs: 2000,
  requestTimeoutMs: 5000,
  autoOffsetReset: 'earliest',
} as const

export const startGroupTest = async (
  cleanups: (() => Promise<unknown>)[],
  { partitions = 4, topic = 't', broker = {} }: { partitions?: number; topic?: string; broker?: Partial<BrokerConfigInput> } = {},
): Promise<GroupTestSetup> => {
  const cluster = startTestCluster(broker)
  const consumers: GroupConsumer[] = []
  cleanups.push(async () => {
    await Promise.allSettled(consumers.map((consumer) => consumer.close()))
    await cluster.cleanup()
  })
  const admin = new Admin(cluster.connection)
  await admin.createTopic(topic, { partitions })
  const producer = new Producer(cluster.connection, { lingerMs: 0 })
  return {
    cluster,
    admin,
    producer,
    consumer(options = {}) {
      const consumer = new GroupConsumer(cluster.connection, { ...fastGroupOptions, ...options })
      consumers.push(consumer)
      return consumer
    },
    async fill(count, perPartition, from = 0, name = topic) {
      const records = []
      for (let partition = 0; partition < count; partition++) {
        for (let i = from; i < from + perPartition; i++) records.push({ value: `${partition}:${i}`, partition })
      }
      await producer.send(name, records)
    },
  }
}


export const valueOf = (record: ConsumerRecord): string => record.value!.toString()

export const owned = (consumer: GroupConsumer): string[] =>
  consumer
    .assignment()
    .map(({ topic, partition }) => `${topic}-${partition}`)
    .sort()

export interface RecordedCommit {
  readonly memberId: string
  readonly generation: number
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: bigint }[]
}

/** A window onto what clients ask of group coordinators: commits are recorded, heartbeats can be held. */
export interface GroupTap {
  readonly commits: RecordedCommit[]
  /** The member's heartbeats wait (its session runs out at the coordinator) until released. */
  hold(memberId: string): void
  release(memberId: string): void
  /** How many of the member's heartbeats are waiting now. */
  heldCount(memberId: string): number
  /** The member's next heartbeat goes with the generation before its own, as if a reply was lost. */
  staleNextHeartbeat(memberId: string): void
  /** Calls `listener` with each heartbeat answer, just before the member sees it. */
  onHeartbeatReply(listener: (memberId: string, reply: MemberAssignment) => void): void
}

export const tapGroups = (cluster: TestCluster): GroupTap => {
  const commits: RecordedCommit[] = []
  const held = new Map<string, (() => void)[]>()
  const stale = new Set<string>()
  const noReply: ReplyTo<unknown> = { reply: () => undefined, fail: () => undefined }
  const replyListeners: ((memberId: string, reply: MemberAssignment) => void)[] = []
  cluster.wrapGroup((ref): ActorRef<GroupMessage> => ({
    path: ref.path,
    tell: (message) => ref.tell(message),
    ask: ((make: (replyTo: ReplyTo<any>) => GroupMessage, options?: AskOptions) => {
      const probe = make(noReply)
      if (probe._tag === 'CommitOffsets' && probe.member !== undefined) commits.push({ ...probe.member, offsets: probe.offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })) })
      if (probe._tag === 'Heartbeat' && stale.delete(probe.memberId)) {
        return ref.ask((replyTo) => ({ ...(make(replyTo) as typeof probe), generation: probe.generation - 1 }), options)
      }
      const ask = (): Promise<never> => {
        const answer = ref.ask(make as never, options) as Promise<never>
        if (probe._tag !== 'Heartbeat') return answer
        return answer.then((reply) => {
          for (const listener of replyListeners) listener(probe.memberId, reply as MemberAssignment)
          return reply
        })
      }
      const waiting = probe._tag === 'Heartbeat' ? held.get(probe.memberId) : undefined
      if (waiting === undefined) return ask()
      return new Promise((resolve) => waiting.push(() => resolve(ask())))
    }) as ActorRef<GroupMessage>['ask'],
  }))
  return {
    commits,
    hold: (memberId) => void held.set(memberId, held.get(memberId) ?? []),
    release(memberId) {
      const waiting = held.get(memberId) ?? []
      held.delete(memberId)
      for (const send of waiting) send()
    },
    staleNextHeartbeat: (memberId) => void stale.add(memberId),
    heldCount: (memberId) => held.get(memberId)?.length ?? 0,
    onHeartbeatReply: (listener) => void replyListeners.push(listener),
  }
}

export interface Processed {
  readonly by: string
  readonly partition: number
  readonly offset: bigint
}

/** Runs `consumer` with concatMap(handle) and commitOffsets(), logging each record once handled. */
export const run = (by: string, consumer: GroupConsumer, log: Processed[], handle: (record: ConsumerRecord) => Promise<void> = async () => undefined) => {
  const events: RebalanceEvent[] = []
  const counts = { handed: 0, handled: 0 }
  consumer.rebalances$.subscribe((event) => events.push(event))
  const subscription = consumer
    .subscribe('t')
    .pipe(
      concatMap((record) => {
        counts.handed++
        return defer(async () => {
          await handle(record)
          log.push({ by, partition: record.partition, offset: record.offset })
          counts.handled++
        }).pipe(map(() => record))
      }),
      commitOffsets(),
    )
    .subscribe()
  return { events, subscription, counts }
}

export const key = ({ partition, offset }: { partition: number; offset: bigint }) => `${partition}@${offset}`

/** Offsets processed more than once, as `partition@offset`. */
export const duplicates = (log: readonly Processed[]): string[] => {
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (const entry of log) (seen.has(key(entry)) ? twice : seen).add(key(entry))
  return [...twice].sort()
}

export const everyRecord = (partitions: number, perPartition: number): string[] =>
  Array.from({ length: partitions }, (_, p) => Array.from({ length: perPartition }, (_, o) => `${p}@${o}`)).flat().sort()

export const distinct = (log: readonly Processed[]): string[] => [...new Set(log.map(key))].sort()
