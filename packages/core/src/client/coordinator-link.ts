/**
 * The way to one consumer group's coordinator: its path is asked of the broker (FindCoordinator)
 * once and kept until an ask fails in a way that says the coordinator may have moved (a timeout,
 * an actor gone), after which the next ask finds it again. Errors come out unwrapped: the
 * coordinator's own typed errors (group-errors.ts) as they are.
 */
import type { ActorRef, ReplyTo, RequestOf, ResponseFor } from '../actor/actor-ref.js'
import type { GroupMessage } from '../group/group-protocol.js'
import type { ClusterConnection } from './cluster-connection.js'
import { isRetriable, unwrapActorFailure } from './retry.js'

export type GroupRequest = RequestOf<GroupMessage>

export class CoordinatorLink {
  private coordinator: Promise<ActorRef<GroupMessage>> | undefined = undefined

  constructor(
    private readonly connection: ClusterConnection,
    readonly groupId: string,
    private readonly requestTimeoutMs: number,
  ) {}

  async ask<Request extends GroupRequest>(
    make: (replyTo: ReplyTo<any>) => Request,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<ResponseFor<GroupMessage, Request['_tag']>> {
    const found = (this.coordinator ??= this.find())
    let coordinator: ActorRef<GroupMessage>
    try {
      coordinator = await found
    } catch (error) {
      if (this.coordinator === found) this.coordinator = undefined
      throw unwrapActorFailure(error)
    }
    try {
      return await coordinator.ask(make, { timeoutMs })
    } catch (error) {
      const cause = unwrapActorFailure(error)
      if (isRetriable(cause) && this.coordinator === found) this.coordinator = undefined
      throw cause
    }
  }

  private async find(): Promise<ActorRef<GroupMessage>> {
    const { groupId } = this
    const path = await this.connection.broker.ask((replyTo) => ({ _tag: 'FindCoordinator', groupId, replyTo }), { timeoutMs: this.requestTimeoutMs })
    return this.connection.group(path)
  }
}
