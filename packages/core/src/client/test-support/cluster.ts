/**
 * An embedded cluster for the client tests: a real BrokerActor (and its PartitionActors) in an
 * ActorSystem over a temporary data directory, and the ClusterConnection the clients take.
 * `wrapPartition` lets a test put a fault-injecting ref in front of a partition.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ActorPath } from '../../actor/actor-path.js'
import type { ActorRef, AskOptions, ReplyTo } from '../../actor/actor-ref.js'
import { quietSystem } from '../../actor/test-support/fixtures.js'
import { ActorNotFoundError } from '../../actor/errors.js'
import { startBroker } from '../../broker/broker-actor.js'
import type { BrokerConfigInput } from '../../broker/broker-config.js'
import type { PartitionMessage } from '../../partition/partition-protocol.js'
import type { ClusterConnection } from '../cluster-connection.js'

export interface TestCluster {
  readonly connection: ClusterConnection
  readonly dataDir: string
  /** Puts `wrap(ref)` in front of every partition whose path `matches`. */
  wrapPartition(matches: (path: ActorPath) => boolean, wrap: (ref: ActorRef<PartitionMessage>) => ActorRef<PartitionMessage>): void
  cleanup(): Promise<void>
}

/** A ref that finds the actor at each message, so a restarted or respawned one is reached. */
const lookupRef = (find: (path: string) => ActorRef<PartitionMessage> | undefined, path: ActorPath): ActorRef<PartitionMessage> => ({
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

export const startTestCluster = (config: Partial<BrokerConfigInput> = {}): TestCluster => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-client-'))
  const { system } = quietSystem()
  const broker = startBroker(system, { dataDir, clusterId: 'c1', defaultTopicConfig: { flush: 'os' }, ...config })
  const wrappers: { matches: (path: ActorPath) => boolean; wrap: (ref: ActorRef<PartitionMessage>) => ActorRef<PartitionMessage> }[] = []
  const refs = new Map<string, ActorRef<PartitionMessage>>()
  const connection: ClusterConnection = {
    broker,
    partition(path) {
      let ref = refs.get(path)
      if (ref === undefined) {
        ref = lookupRef((p) => system.find<PartitionMessage>(p), path)
        for (const { matches, wrap } of wrappers) if (matches(path)) ref = wrap(ref)
        refs.set(path, ref)
      }
      return ref
    },
  }
  return {
    connection,
    dataDir,
    wrapPartition(matches, wrap) {
      wrappers.push({ matches, wrap })
      refs.clear()
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
