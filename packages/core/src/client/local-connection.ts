/**
 * The ClusterConnection of the embedded mode: the broker, partition and group coordinator actors
 * of this process's ActorSystem. A ref looks its actor up at each message, so a partition
 * restarted by its supervisor, respawned by the broker, or a coordinator started again is reached
 * without the client noticing.
 */
import type { ActorPath } from '../actor/actor-path.js'
import type { ActorRef, AskOptions, ReplyTo } from '../actor/actor-ref.js'
import type { ActorSystem } from '../actor/actor-system.js'
import { ActorNotFoundError } from '../actor/errors.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import type { GroupMessage } from '../group/group-protocol.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import type { ClusterConnection } from './cluster-connection.js'

/** A ref to whatever actor lives at `path` when a message is sent. */
export const lookupRef = <M>(find: (path: ActorPath) => ActorRef<M> | undefined, path: ActorPath): ActorRef<M> => ({
  path,
  tell(message) {
    const ref = find(path)
    if (ref !== undefined) ref.tell(message)
    else (message as { readonly replyTo?: ReplyTo<never> }).replyTo?.fail(new ActorNotFoundError({ path }))
  },
  ask: ((make: (replyTo: ReplyTo<any>) => M, options?: AskOptions) => {
    const ref = find(path)
    return ref === undefined ? Promise.reject(new ActorNotFoundError({ path })) : ref.ask(make as never, options)
  }) as ActorRef<M>['ask'],
})

export const lookupPartitionRef = (
  find: (path: ActorPath) => ActorRef<PartitionMessage> | undefined,
  path: ActorPath,
): ActorRef<PartitionMessage> => lookupRef(find, path)

/** Memoizes one ref per path. */
const refCache = <M>(make: (path: ActorPath) => ActorRef<M>) => {
  const refs = new Map<ActorPath, ActorRef<M>>()
  return (path: ActorPath): ActorRef<M> => {
    let ref = refs.get(path)
    if (ref === undefined) {
      ref = make(path)
      refs.set(path, ref)
    }
    return ref
  }
}

export const localConnection = (system: ActorSystem, broker: ActorRef<BrokerMessage>): ClusterConnection => ({
  broker,
  partition: refCache((path) => lookupRef((p) => system.find<PartitionMessage>(p), path)),
  group: refCache((path) => lookupRef((p) => system.find<GroupMessage>(p), path)),
})
