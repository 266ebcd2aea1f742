/** Typed asks to a partition, for tests: what a client sends, without the client. */
import type { ActorRef } from '../../actor/actor-ref.js'
import type { Acks, FetchResult, OffsetSpec, PartitionDescription, PartitionMessage, ProduceResult } from '../partition-protocol.js'

export const produce = (partition: ActorRef<PartitionMessage>, batch: Buffer, acks: Acks = 1): Promise<ProduceResult> =>
  partition.ask((replyTo) => ({ _tag: 'Produce', batch, acks, replyTo }))

export const fetchFrom = (
  partition: ActorRef<PartitionMessage>,
  offset: bigint,
  options: { readonly maxWaitMs?: number; readonly maxBytes?: number; readonly timeoutMs?: number } = {},
): Promise<FetchResult> =>
  partition.ask(
    (replyTo) => ({ _tag: 'Fetch', offset, maxBytes: options.maxBytes ?? 1 << 20, maxWaitMs: options.maxWaitMs ?? 0, replyTo }),
    options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs },
  )

export const listOffset = (partition: ActorRef<PartitionMessage>, spec: OffsetSpec): Promise<bigint | undefined> =>
  partition.ask((replyTo) => ({ _tag: 'ListOffset', spec, replyTo }))

export const describePartition = (partition: ActorRef<PartitionMessage>): Promise<PartitionDescription> =>
  partition.ask((replyTo) => ({ _tag: 'Describe', replyTo }))

export const maintain = (partition: ActorRef<PartitionMessage>): Promise<void> =>
  partition.ask((replyTo) => ({ _tag: 'Maintain', replyTo }))

/** What a promise settles with: its value, or the error it rejects with. */
export const settled = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: unknown) => error as Error)
