/**
 * Options of a consumer in a group: the consumer options plus the group's, decoded together with
 * effect Schema where the user hands them over. An unknown option or a bad value is an
 * InvalidClientOptionError naming it.
 */
import { Schema } from 'effect'
import type { Assignor } from '../group/assignor.js'
import { cooperativeStickyAssignor } from '../group/assignors/cooperative-sticky.js'
import { rangeAssignor } from '../group/assignors/range.js'
import { roundRobinAssignor } from '../group/assignors/round-robin.js'
import { InvalidClientOptionError } from './errors.js'
import { type ConsumerOptions, type ConsumerOptionsInput, consumerDefaults, consumerFields, decodeFields, TimeoutMs } from './options.js'

/** A built-in assignor by name ('roundrobin' is Kafka's spelling of 'round-robin'), or a custom one. */
export type AssignorChoice = 'range' | 'round-robin' | 'roundrobin' | 'cooperative-sticky' | Assignor

export interface GroupOptions {
  readonly groupId: string
  /**
   * Static membership: a consumer restarting with the same id takes its predecessor's place and
   * partitions, without moving anyone else's, if it is back within sessionTimeoutMs.
   */
  readonly groupInstanceId: string | undefined
  /**
   * Without a word from this member for that long, the coordinator removes it and gives its
   * partitions to others. Default 45000, Kafka's: Node runs the user's processing on the thread
   * that heartbeats, so a long synchronous stretch must not cost the member its partitions.
   */
  readonly sessionTimeoutMs: number
  /**
   * How long the member may take to give a partition up once asked (stop it, wait for its
   * records in the pipeline, commit); past it the coordinator removes the member. Default 60000.
   * The wait for records in the pipeline is bounded by half of it.
   */
  readonly rebalanceTimeoutMs: number
  /**
   * How long a heartbeat waits at the coordinator when nothing happens (it is answered at once
   * when the member has partitions to give up or to take). Default: what the coordinator says
   * (3000), never more than a third of sessionTimeoutMs.
   */
  readonly heartbeatIntervalMs: number | undefined
  /**
   * The group's assignor; a member joining an empty group sets it, a member joining a running
   * group with another one is refused. Default: the group's (cooperative-sticky).
   */
  readonly assignor: Assignor | undefined
  /** Commit the positions of the records handed over every autoCommitIntervalMs. Default true. */
  readonly autoCommit: boolean
  /** Default 5000. */
  readonly autoCommitIntervalMs: number
}

export type GroupConsumerOptions = ConsumerOptions & GroupOptions

export type GroupConsumerOptionsInput = ConsumerOptionsInput & {
  readonly groupId: string
  readonly groupInstanceId?: string
  readonly sessionTimeoutMs?: number
  readonly rebalanceTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  readonly assignor?: AssignorChoice
  readonly autoCommit?: boolean
  readonly autoCommitIntervalMs?: number
}

const builtIn: ReadonlyMap<string, Assignor> = new Map([
  ['range', rangeAssignor],
  ['round-robin', roundRobinAssignor],
  ['roundrobin', roundRobinAssignor],
  ['cooperative-sticky', cooperativeStickyAssignor],
])

const NonEmptyString = Schema.String.check(Schema.isMinLength(1))
const AssignorSchema = Schema.declare(
  (u: unknown): u is AssignorChoice =>
    (typeof u === 'string' && builtIn.has(u)) ||
    (typeof u === 'object' && u !== null && typeof (u as Assignor).name === 'string' && (u as Assignor).name.length > 0 && typeof (u as Assignor).assign === 'function'),
  { expected: `one of ${[...builtIn.keys()].join(', ')}, or an object with a name and an assign(input) method` },
)

const groupFields: { readonly [K in keyof GroupOptions]: Schema.Codec<unknown, unknown> } = {
  groupId: NonEmptyString,
  groupInstanceId: NonEmptyString,
  sessionTimeoutMs: TimeoutMs,
  rebalanceTimeoutMs: TimeoutMs,
  heartbeatIntervalMs: TimeoutMs,
  assignor: AssignorSchema,
  autoCommit: Schema.Boolean,
  autoCommitIntervalMs: TimeoutMs,
}

const invalid = (option: string, value: unknown, reason: string) => new InvalidClientOptionError({ client: 'consumer', option, value, reason })

export const decodeGroupConsumerOptions = (input: GroupConsumerOptionsInput): GroupConsumerOptions => {
  const given = decodeFields('consumer', { ...consumerFields, ...groupFields }, input) as Partial<ConsumerOptions> &
    Partial<Omit<GroupOptions, 'assignor'>> & { readonly assignor?: AssignorChoice }
  if (given.groupId === undefined) throw invalid('groupId', undefined, 'a group consumer needs a groupId')
  const sessionTimeoutMs = given.sessionTimeoutMs ?? 45_000
  if (given.heartbeatIntervalMs !== undefined && given.heartbeatIntervalMs >= sessionTimeoutMs) {
    throw invalid('heartbeatIntervalMs', given.heartbeatIntervalMs, `must be below sessionTimeoutMs (${sessionTimeoutMs})`)
  }
  const { assignor } = given
  return {
    ...consumerDefaults(given),
    groupId: given.groupId,
    groupInstanceId: given.groupInstanceId,
    sessionTimeoutMs,
    rebalanceTimeoutMs: given.rebalanceTimeoutMs ?? 60_000,
    heartbeatIntervalMs: given.heartbeatIntervalMs,
    assignor: typeof assignor === 'string' ? builtIn.get(assignor) : assignor,
    autoCommit: given.autoCommit ?? true,
    autoCommitIntervalMs: given.autoCommitIntervalMs ?? 5000,
  }
}
