/**
 * What the clients (admin, producer, consumer) talk to: the broker for metadata and admin, each
 * partition leader for produce and fetch, and each consumer group's coordinator. Embedded, all
 * are actors of the local system; over NATS they will be remote refs with the same protocols.
 */
import type { ActorPath } from '../actor/actor-path.js'
import type { ActorRef } from '../actor/actor-ref.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import type { GroupMessage } from '../group/group-protocol.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'

export interface ClusterConnection {
  readonly broker: ActorRef<BrokerMessage>
  /** The partition leader at `path` (from TopicMetadata.partitionLeaders). */
  partition(path: ActorPath): ActorRef<PartitionMessage>
  /** The group coordinator at `path` (from the broker's FindCoordinator). */
  group(path: ActorPath): ActorRef<GroupMessage>
}
