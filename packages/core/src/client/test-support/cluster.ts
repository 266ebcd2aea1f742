/**
 * An embedded cluster for the client tests: a real BrokerActor (and its PartitionActors and group
 * coordinators) in an ActorSystem over a temporary data directory, and the ClusterConnection the
 * clients take. `wrapPartition` and `wrapGroup` let a test put a fault-injecting ref in front of a
 * partition or a coordinator. Groups accept short session timeouts (from 10 ms) here.
 */
import { baseOffsetAt, batchSizeAt, decodeRecords, lastOffsetAt } from '@rivulet/storage'
import { rmSync } from 'node:fs'
import type { ActorPath } from '../../actor/actor-path.js'
import type { ActorRef, AskOptions, ReplyTo } from '../../actor/actor-ref.js'
import { quietSystem } from '../../actor/test-support/fixtures.js'
import { AskTimeoutError } from '../../actor/errors.js'
import { startBroker } from '../../broker/broker-actor.js'
import type { BrokerConfigInput } from '../../broker/broker-config.js'
import type { BrokerMessage } from '../../broker/broker-protocol.js'
import type { GroupMessage } from '../../group/group-protocol.js'
import type { FetchResult, PartitionMessage } from '../../partition/partition-protocol.js'
import type { ClusterConnection } from '../cluster-connection.js'
import { lookupPartitionRef, lookupRef } from '../local-connection.js'
import { eventually, tempDir } from '@rivulet/test-kit'

export interface TestCluster {
  readonly connection: ClusterConnection
  readonly dataDir: string
  /** Puts `wrap(ref)` in front of every partition whose path `matches`. */
  wrapPartition(matches: (path: ActorPath) => boolean, wrap: (ref: ActorRef<PartitionMessage>) => ActorRef<PartitionMessage>): void
  /** Puts `wrap(ref)` in front of every group coordinator the clients reach from now on. */
  wrapGroup(wrap: (ref: ActorRef<GroupMessage>) => ActorRef<GroupMessage>): void
  /** Every Metadata lookup the clients asked the broker, in order, with how it ended. */
  readonly metadataLookups: readonly MetadataLookup[]
  cleanup(): Promise<void>
}

export interface MetadataLookup {
  readonly topic: string
  outcome: 'pending' | 'found' | 'failed'
}

/** The broker ref the clients get: asks pass through; Metadata lookups are logged as they end. */
const loggingMetadata = (broker: ActorRef<BrokerMessage>, lookups: MetadataLookup[]): ActorRef<BrokerMessage> => ({
  path: broker.path,
  tell: (message) => broker.tell(message),
  ask: ((make: (replyTo: ReplyTo<any>) => BrokerMessage, options?: AskOptions) => {
    let lookup: MetadataLookup | undefined
    const answer = broker.ask((replyTo) => {
      const message = make(replyTo)
      if (message._tag === 'Metadata') lookups.push((lookup = { topic: message.topic, outcome: 'pending' }))
      return message as never
    }, options)
    const logged = lookup
    if (logged === undefined) return answer
    return answer.then(
      (metadata) => {
        logged.outcome = 'found'
        return metadata
      },
      (error: unknown) => {
        logged.outcome = 'failed'
        throw error
      },
    )
  }) as ActorRef<BrokerMessage>['ask'],
})

export const startTestCluster = (config: Partial<BrokerConfigInput> = {}): TestCluster => {
  const dataDir = tempDir('client')
  const { system } = quietSystem()
  const broker = startBroker(system, {
    dataDir,
    clusterId: 'c1',
    defaultTopicConfig: { flush: 'os' },
    offsetsTopicPartitions: 2,
    groupMinSessionTimeoutMs: 10,
    ...config,
  })
  const wrappers: { matches: (path: ActorPath) => boolean; wrap: (ref: ActorRef<PartitionMessage>) => ActorRef<PartitionMessage> }[] = []
  const refs = new Map<string, ActorRef<PartitionMessage>>()
  let wrapGroup = (ref: ActorRef<GroupMessage>) => ref
  const metadataLookups: MetadataLookup[] = []
  const connection: ClusterConnection = {
    broker: loggingMetadata(broker, metadataLookups),
    partition(path) {
      let ref = refs.get(path)
      if (ref === undefined) {
        ref = lookupPartitionRef((p) => system.find<PartitionMessage>(p), path)
        for (const { matches, wrap } of wrappers) if (matches(path)) ref = wrap(ref)
        refs.set(path, ref)
      }
      return ref
    },
    group: (path) => wrapGroup(lookupRef((p) => system.find<GroupMessage>(p), path)),
  }
  return {
    connection,
    dataDir,
    metadataLookups,
    wrapPartition(matches, wrap) {
      wrappers.push({ matches, wrap })
      refs.clear()
    },
    wrapGroup(wrap) {
      wrapGroup = wrap
    },
    async cleanup() {
      await system.shutdown()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A ref whose first `failures` asks fail with `error()` without reaching the partition. */
export const failingFirstAsks = (failures: number, error: () => Error) => (ref: ActorRef<PartitionMessage>): ActorRef<PartitionMessage> => {
  let left = failures
  return {
    path: ref.path,
    tell: (message) => ref.tell(message),
    ask: ((make: (replyTo: ReplyTo<any>) => PartitionMessage, options?: AskOptions) => {
      if (left > 0) {
        left--
        return Promise.reject(error())
      }
      return ref.ask(make as never, options)
    }) as ActorRef<PartitionMessage>['ask'],
  }
}

/** A ref whose first `lost` asks reach the partition but whose answers are lost (a timeout). */
export const losingFirstReplies = (lost: number) => (ref: ActorRef<PartitionMessage>): ActorRef<PartitionMessage> => {
  let left = lost
  return {
    path: ref.path,
    tell: (message) => ref.tell(message),
    ask: ((make: (replyTo: ReplyTo<any>) => PartitionMessage, options?: AskOptions) => {
      const answer = ref.ask(make as never, options)
      if (left === 0) return answer
      left--
      return answer.then(() => {
        throw new AskTimeoutError({ path: ref.path, messageTag: 'Produce', timeoutMs: options?.timeoutMs ?? 0 })
      })
    }) as ActorRef<PartitionMessage>['ask'],
  }
}

export interface Recorded {
  readonly path: ActorPath
  readonly message: PartitionMessage
}

/** A ref that records every message it passes on, with the partition's path. */
export const recording = (messages: Recorded[]) => (ref: ActorRef<PartitionMessage>): ActorRef<PartitionMessage> => ({
  path: ref.path,
  tell(message) {
    messages.push({ path: ref.path, message })
    ref.tell(message)
  },
  ask: ((make: (replyTo: ReplyTo<any>) => PartitionMessage, options?: AskOptions) =>
    ref.ask((replyTo) => {
      const message = make(replyTo)
      messages.push({ path: ref.path, message })
      return message as never
    }, options)) as ActorRef<PartitionMessage>['ask'],
})

export interface TrackedFetch {
  readonly path: ActorPath
  readonly offset: bigint
  /** Once the partition answered: the record bytes it returned, -1 for an error. */
  answeredBytes: number | undefined
}

/**
 * A ref that logs each Fetch a client asks as it is sent, and marks it answered just before the
 * client sees the answer: tests wait for these events instead of sleeping.
 */
export const trackingFetches = (fetches: TrackedFetch[]) => (ref: ActorRef<PartitionMessage>): ActorRef<PartitionMessage> => ({
  path: ref.path,
  tell: (message) => ref.tell(message),
  ask: ((make: (replyTo: ReplyTo<any>) => PartitionMessage, options?: AskOptions) => {
    let tracked: TrackedFetch | undefined
    const answer = ref.ask((replyTo) => {
      const message = make(replyTo)
      if (message._tag === 'Fetch') fetches.push((tracked = { path: ref.path, offset: message.offset, answeredBytes: undefined }))
      return message as never
    }, options)
    const fetch = tracked
    if (fetch === undefined) return answer
    return (answer as Promise<FetchResult>).then(
      (result) => {
        fetch.answeredBytes = result.records.length
        return result
      },
      (error: unknown) => {
        fetch.answeredBytes = -1
        throw error
      },
    )
  }) as ActorRef<PartitionMessage>['ask'],
})

/** Resolves once the partition has handled a message sent after everything sent to it so far. */
export const partitionCaughtUp = async (connection: ClusterConnection, path: ActorPath): Promise<void> => {
  await connection.partition(path).ask((replyTo) => ({ _tag: 'Describe', replyTo }))
}

/**
 * Waits until a tracked fetch of `topic`-`partition` (from `offset`, among those from index
 * `after` on) is parked at the partition, and returns it.
 */
export const parkedFetch = async (
  connection: ClusterConnection,
  fetches: readonly TrackedFetch[],
  { topic = 't', partition = 0, offset, after = 0 }: { topic?: string; partition?: number; offset?: bigint; after?: number } = {},
): Promise<TrackedFetch> => {
  const waiting = () =>
    fetches
      .slice(after)
      .find((f) => f.path.endsWith(`.${topic}.${partition}`) && f.answeredBytes === undefined && (offset === undefined || f.offset === offset))
  await eventually(() => waiting() !== undefined, { what: `a fetch of ${topic}-${partition} waiting at the partition`, timeoutMs: 10_000 })
  const fetch = waiting()!
  // Handled after the fetch: the fetch is parked by now (or answered, which the test sees).
  await partitionCaughtUp(connection, fetch.path)
  return fetch
}

/** The batches of the recorded Produce messages to partition `n` (of any topic), in order. */
export const producedBatches = (messages: readonly Recorded[], n: number): Buffer[] =>
  messages.filter(({ path, message }) => message._tag === 'Produce' && path.endsWith(`.${n}`)).map(({ message }) => (message as { batch: Buffer }).batch)

export interface StoredRecord {
  readonly offset: bigint
  readonly key: string | null
  readonly value: string | null
  readonly headers: readonly { readonly key: string; readonly value: string | null }[]
  readonly timestamp: number
}

/** Every record of a partition, read straight from its actor. */
export const readPartition = async (connection: ClusterConnection, topic: string, partition: number): Promise<StoredRecord[]> => {
  const metadata = await connection.broker.ask((replyTo) => ({ _tag: 'Metadata', topic, autoCreate: false, replyTo }))
  const leader = connection.partition(metadata.partitionLeaders[partition])
  const records: StoredRecord[] = []
  let offset = await leader.ask((replyTo) => ({ _tag: 'ListOffset', spec: 'earliest', replyTo }))
  for (;;) {
    const { records: bytes } = await leader.ask((replyTo) => ({ _tag: 'Fetch', offset: offset!, maxBytes: 1 << 20, maxWaitMs: 0, replyTo }))
    if (bytes.length === 0) return records
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      const base = baseOffsetAt(bytes, at)
      for (const record of decodeRecords(bytes, at)) {
        records.push({
          offset: base + BigInt(record.offsetDelta),
          key: record.key?.toString() ?? null,
          value: record.value?.toString() ?? null,
          headers: record.headers.map((header) => ({ key: header.key, value: header.value?.toString() ?? null })),
          timestamp: record.timestamp,
        })
      }
      offset = lastOffsetAt(bytes, at) + 1n
    }
  }
}
