/**
 * A partition leader's ListOffset, as the admin calls make it: the actor's failure unwrapped to
 * the error the partition answered with, and a time past every record answered with the log end
 * (KafkaJS's fetchTopicOffsetsByTimestamp, Kafka's reset to a datetime).
 */
import type { ActorRef } from '../actor/actor-ref.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { unwrapActorFailure } from './retry.js'

export type ListSpec = 'earliest' | 'latest' | { readonly timestamp: number }

export const listOffset = (leader: ActorRef<PartitionMessage>, spec: ListSpec, timeoutMs: number): Promise<bigint | undefined> =>
  leader.ask((replyTo) => ({ _tag: 'ListOffset', spec, replyTo }), { timeoutMs }).catch((error: unknown) => {
    throw unwrapActorFailure(error)
  })

/** The first offset whose record is at or after `timestamp`, else the log end. */
export const offsetAtOrAfter = async (leader: ActorRef<PartitionMessage>, timestamp: number, timeoutMs: number): Promise<bigint> =>
  (await listOffset(leader, { timestamp }, timeoutMs)) ?? (await listOffset(leader, 'latest', timeoutMs))!
