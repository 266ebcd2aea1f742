/**
 * The ClusterConnection of the embedded mode: the broker and partition actors of this process's
 * ActorSystem. A partition ref looks its actor up at each message, so a partition restarted by
 * its supervisor or respawned by the broker is reached without the client noticing.
 */
import type { ActorPath } from '../actor/actor-path.js'
import type { ActorRef, AskOptions, ReplyTo } from '../actor/actor-ref.js'
import type { ActorSystem } from '../actor/actor-system.js'
import { ActorNotFoundError } from '../actor/errors.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import type { ClusterConnection } from './cluster-connection.js'

export const lookupPartitionRef = (
  find: (path: ActorPath) => ActorRef<PartitionMessage> | undefined,
  path: ActorPath,
): ActorRef<PartitionMessage> => ({
  path,
  tell(message) {
    const ref = find(path)
    if (ref !== undefined) ref.tell(message)
    else (message as { readonly replyTo?: ReplyTo<never> }).replyTo?.fail(new ActorNotFoundError({ path }))
  },
  ask: ((make: (replyTo: ReplyTo<any>) => PartitionMessage, options?: AskOptions) => {
    const ref = find(path)
    return ref === undefined ? Promise.reject(new ActorNotFoundError({ path })) : ref.ask(make as never, options)
  }) as ActorRef<PartitionMessage>['ask'],
})

export const localConnection = (system: ActorSystem, broker: ActorRef<BrokerMessage>): ClusterConnection => {
  const refs = new Map<ActorPath, ActorRef<PartitionMessage>>()
  const find = (path: ActorPath) => system.find<PartitionMessage>(path)
  return {
    broker,
    partition(path) {
      let ref = refs.get(path)
      if (ref === undefined) {
        ref = lookupPartitionRef(find, path)
        refs.set(path, ref)
      }
      return ref
    },
  }
}
