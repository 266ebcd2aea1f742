/**
 * Where a topic's partitions are, as the broker last said: one Metadata ask per topic (shared by
 * every caller waiting for it), answers kept until they are older than maxAgeMs, after which the
 * next lookup refreshes them in the background while callers keep using the old answer.
 */
import type { ActorRef } from '../actor/actor-ref.js'
import type { BrokerMessage, TopicMetadata } from '../broker/broker-protocol.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import type { ClusterConnection } from './cluster-connection.js'
import { unwrapActorFailure } from './retry.js'

export interface KnownTopic {
  readonly metadata: TopicMetadata
  /** The leader of each partition, by number. */
  readonly leaders: readonly ActorRef<PartitionMessage>[]
  readonly fetchedAtMs: number
}

export interface MetadataCacheOptions {
  readonly requestTimeoutMs: number
  readonly maxAgeMs: number
  /** Ask the broker to create unknown topics (it does only when its autoCreateTopics is on). */
  readonly autoCreate: boolean
}

export class MetadataCache {
  private readonly known = new Map<string, KnownTopic>()
  private readonly loading = new Map<string, Promise<KnownTopic>>()
  private readonly broker: ActorRef<BrokerMessage>

  constructor(
    private readonly connection: ClusterConnection,
    private readonly options: MetadataCacheOptions,
  ) {
    this.broker = connection.broker
  }

  /** What is known of `topic` now, stale or not; starts a refresh when it is stale. */
  current(topic: string, nowMs = Date.now()): KnownTopic | undefined {
    const known = this.known.get(topic)
    if (known !== undefined && nowMs - known.fetchedAtMs > this.options.maxAgeMs && !this.loading.has(topic)) {
      this.load(topic).catch(() => undefined)
    }
    return known
  }

  /** The topic's metadata, from the cache when there, else asked for (one ask for all callers). */
  get(topic: string): Promise<KnownTopic> {
    const known = this.current(topic)
    return known !== undefined ? Promise.resolve(known) : this.load(topic)
  }

  /** Asks the broker again, whatever is cached. */
  load(topic: string): Promise<KnownTopic> {
    const inFlight = this.loading.get(topic)
    if (inFlight !== undefined) return inFlight
    const { autoCreate, requestTimeoutMs } = this.options
    const loaded = this.broker
      .ask((replyTo) => ({ _tag: 'Metadata', topic, autoCreate, replyTo }), { timeoutMs: requestTimeoutMs })
      .then(
        (metadata) => {
          const known: KnownTopic = {
            metadata,
            leaders: metadata.partitionLeaders.map((path) => this.connection.partition(path)),
            fetchedAtMs: Date.now(),
          }
          this.known.set(topic, known)
          return known
        },
        (error: unknown) => {
          throw unwrapActorFailure(error)
        },
      )
      .finally(() => this.loading.delete(topic))
    this.loading.set(topic, loaded)
    return loaded
  }

  /** Forgets `topic`, so that the next lookup asks the broker. */
  forget(topic: string): void {
    this.known.delete(topic)
  }

  /** Lookups under way (flush waits for the records waiting on them). */
  pending(): Promise<unknown>[] {
    return Array.from(this.loading.values())
  }
}
