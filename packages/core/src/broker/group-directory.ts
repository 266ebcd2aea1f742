/**
 * The broker's side of consumer groups: it spawns a GroupCoordinatorActor per group on the first
 * FindCoordinator, tells every running coordinator when topics change, answers ListGroups, and
 * stops a deleted group's coordinator so that the next FindCoordinator starts the group afresh.
 *
 * The broker never waits for a coordinator inside its own handler (a coordinator's start asks
 * the broker for the topics): ListGroups gathers its answer outside the mailbox.
 */
import { type ActorPath, actorPath } from '../actor/actor-path.js'
import { type ActorRef, type ReplyTo, replyToOf } from '../actor/actor-ref.js'
import type { ActorSystem } from '../actor/actor-system.js'
import { ActorNotFoundError } from '../actor/errors.js'
import { Supervision } from '../actor/supervision.js'
import { groupCoordinatorActor, topicsChanged, type GroupCommand, type TopicsSnapshot } from '../group/group-coordinator-actor.js'
import { InvalidGroupIdError, UnknownGroupError } from '../group/group-errors.js'
import type { GroupPhase } from '../group/group-state.js'
import { groupsWithOffsets, OFFSETS_TOPIC, offsetsPartitionFor, readOffsetRecords } from '../group/offsets-topic.js'
import { partitionPath } from '../partition/partition-actor.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import type { BrokerConfig } from './broker-config.js'
import type { BrokerMessage, GroupListing } from './broker-protocol.js'

/** What coordinators send their broker: outside the broker's public protocol. */
export type BrokerInternal =
  /** A coordinator starting: the cluster's topics now. */
  | { readonly _tag: 'TopicsSnapshot'; readonly replyTo: ReplyTo<TopicsSnapshot> }
  /** The group's deletion is durable: stop its coordinator. */
  | { readonly _tag: 'GroupDeleted'; readonly groupId: string }

/** Everything the broker's mailbox carries; others see it as an ActorRef<BrokerMessage>. */
export type BrokerCommand = BrokerMessage | BrokerInternal

/** A coordinator's path: `<cluster>.<node>.group.<groupId>` (the id escaped as a path segment). */
export const groupCoordinatorPath = (clusterId: string, nodeId: number, groupId: string): ActorPath =>
  actorPath(clusterId, nodeId, 'group', groupId)

/** A ref that finds the actor at `path` at each message, so one restarted or respawned is still reached. */
const resolvingRef = <M>(system: ActorSystem, path: ActorPath): ActorRef<M> => ({
  path,
  tell(message) {
    const ref = system.find<M>(path)
    if (ref !== undefined) ref.tell(message)
    else replyToOf(message)?.fail(new ActorNotFoundError({ path }))
  },
  ask: ((make: never, options: never) => {
    const ref = system.find<M>(path)
    return ref === undefined ? Promise.reject(new ActorNotFoundError({ path })) : ref.ask(make, options)
  }) as ActorRef<M>['ask'],
})

export class GroupDirectory {
  private readonly coordinators = new Map<string, ActorRef<GroupCommand>>()

  constructor(
    private readonly system: ActorSystem,
    private readonly config: BrokerConfig,
    private readonly broker: ActorRef<BrokerCommand>,
    /** The offsets topic's partition count (the topic's own, not the setting, once it exists). */
    private readonly offsetsPartitionCount: () => number,
  ) {}

  /** The group's coordinator path, spawning the coordinator when none runs. */
  findCoordinator(groupId: string): ActorPath {
    if (typeof groupId !== 'string' || groupId.length === 0) {
      throw new InvalidGroupIdError({ groupId, reason: 'a group id is a non-empty string' })
    }
    const { clusterId, nodeId } = this.config
    const path = groupCoordinatorPath(clusterId, nodeId, groupId)
    if (this.system.find(path) !== undefined) return path
    const broker = this.broker
    const coordinator = groupCoordinatorActor({
      groupId,
      offsetsPartition: this.offsetsPartition(offsetsPartitionFor(groupId, this.offsetsPartitionCount())),
      topics: () => broker.ask((replyTo) => ({ _tag: 'TopicsSnapshot', replyTo })),
      onDeleted: () => broker.tell({ _tag: 'GroupDeleted', groupId }),
      heartbeatIntervalMs: this.config.groupHeartbeatIntervalMs,
      minSessionTimeoutMs: this.config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: this.config.groupMaxSessionTimeoutMs,
    })
    this.coordinators.set(groupId, this.system.spawn<GroupCommand>(path, coordinator, { supervision: Supervision.restart() }))
    return path
  }

  /** Tells every running coordinator the topics changed. */
  topicsChanged(snapshot: TopicsSnapshot): void {
    for (const [groupId, ref] of this.running()) {
      if (ref === undefined) this.coordinators.delete(groupId)
      else ref.tell(topicsChanged(snapshot))
    }
  }

  /** Stops the deleted group's coordinator; a later FindCoordinator starts an empty one. */
  async groupDeleted(groupId: string): Promise<void> {
    const ref = this.coordinators.get(groupId)
    this.coordinators.delete(groupId)
    if (ref !== undefined) await this.system.stop(ref).catch(() => undefined)
  }

  async stopAll(): Promise<void> {
    const refs = [...this.coordinators.values()]
    this.coordinators.clear()
    await Promise.all(refs.map((ref) => this.system.stop(ref).catch(() => undefined)))
  }

  /**
   * Answers with the groups that have members or offsets: a running coordinator's phase, or
   * Empty for a group whose offsets are in the offsets topic but whose coordinator is not running.
   * Returns at once; the answer follows when the coordinators and the partitions have replied.
   */
  listGroups(replyTo: ReplyTo<readonly GroupListing[]>): void {
    const running = [...this.running()].filter((entry): entry is [string, ActorRef<GroupCommand>] => entry[1] !== undefined)
    const partitions = Array.from({ length: this.offsetsPartitionCount() }, (_, n) => this.offsetsPartition(n))
    const gather = async (): Promise<readonly GroupListing[]> => {
      const [records, phases] = await Promise.all([
        Promise.all(partitions.map(readOffsetRecords)),
        Promise.all(running.map(async ([groupId, ref]) => [groupId, await phaseOf(ref)] as const)),
      ])
      const states = new Map<string, GroupPhase>()
      // Each group's records sit in one partition, so concatenating partitions keeps their order.
      for (const groupId of groupsWithOffsets(records.flat())) states.set(groupId, 'Empty')
      for (const [groupId, phase] of phases) {
        if (phase === 'unknown') states.delete(groupId)
        else if (phase !== undefined) states.set(groupId, phase)
      }
      return [...states].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([groupId, state]) => ({ groupId, state }))
    }
    gather().then(
      (listing) => replyTo.reply(listing),
      (error: unknown) => replyTo.fail(error instanceof Error ? error : new Error(String(error))),
    )
  }

  /** Every known coordinator, undefined for one no longer running. */
  private *running(): Iterable<[string, ActorRef<GroupCommand> | undefined]> {
    for (const [groupId, ref] of this.coordinators) yield [groupId, this.system.find<GroupCommand>(ref.path) === undefined ? undefined : ref]
  }

  private offsetsPartition(partition: number): ActorRef<PartitionMessage> {
    return resolvingRef(this.system, partitionPath(this.config.clusterId, this.config.nodeId, OFFSETS_TOPIC, partition))
  }
}

/**
 * What a running coordinator says of its group: its phase, 'unknown' when the group has neither
 * members nor offsets, undefined when it could not answer (stopping: the offsets topic decides).
 */
const phaseOf = async (ref: ActorRef<GroupCommand>): Promise<GroupPhase | 'unknown' | undefined> => {
  try {
    return (await ref.ask((replyTo) => ({ _tag: 'DescribeGroup', replyTo }))).phase
  } catch (error) {
    return error instanceof UnknownGroupError ? 'unknown' : undefined
  }
}
