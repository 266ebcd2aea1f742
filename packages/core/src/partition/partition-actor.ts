/**
 * PartitionActor: owns one partition's log, its high watermark and its producer-state table.
 *
 * Behavior:
 * - Produce is group-committed: every Produce of a burst (the mailbox hands them over together)
 *   is checked and appended unflushed in order, then ONE flush per the log's policy covers them
 *   all; only then does the high watermark advance (one node: HW = LEO) and every request of the
 *   burst get its reply, acks 0 included. A bad batch fails only its own request.
 * - Fetch reads below the high watermark. With nothing to return it is parked (a waiter and a
 *   timer) and the handler returns at once; a commit that advances the high watermark answers
 *   it, or its timer answers it with no records.
 * - AlterConfig, Maintain and DeleteLog first commit what the burst appended before them.
 * - Every retentionCheckIntervalMs (an unref'd timer) it runs Maintain on itself.
 * - The factory opens the log and loads the producer state, so a supervisor restart rebuilds
 *   everything from storage; a config set by AlterConfig survives restarts.
 * - postStop fails parked fetches with ClosedError, closes the log and snapshots producer state.
 * - A full disk fails only the Produce requests whose append did not fit (StorageFullError, as
 *   data; the log cut the batch back and the producer state never saw it), and the partition
 *   goes on serving fetches, retention and deletion; appends resume when space comes back. A
 *   snapshot or compaction with no room is skipped until the next Maintain. A failed fsync (or a
 *   cut-back that failed) leaves the log's disk state unknown: the handler throws, so the burst is
 *   never acknowledged, and the supervisor's restart reopens (recovers) the log.
 */
import { join } from 'node:path'
import {
  decodeLogConfig,
  isOutOfSpace,
  Log,
  type LogConfigInput,
  LogCorruptedError,
  type LogOptions,
  OffsetOutOfRangeError,
  producerEpochAt,
  producerIdAt,
  ProducerStateManager,
  StorageFullError,
  StorageWriteError,
} from '@rivulet/storage'
import { absurd, type Actor, type ActorContext, type ActorFactory } from '../actor/actor.js'
import { type ActorPath, actorPath } from '../actor/actor-path.js'
import { type ReplyTo, replyToOf } from '../actor/actor-ref.js'
import { type BrokerLogger, consoleBrokerLogger } from '../broker-logger.js'
import { ClosedError, OutOfOrderSequenceError, ProducerFencedError } from '../errors.js'
import { InternalTopicError, isInternalTopic } from '../internal-topics.js'
import type { FetchResult, PartitionMessage, ProduceResult } from './partition-protocol.js'
import { FetchWaiters, MAX_TIMER_MS, type ParkedFetch } from './fetch-waiters.js'
import { checkProduceBytes } from './produce-validation.js'

export interface PartitionActorOptions {
  readonly topic: string
  readonly partition: number
  /** The broker's data directory; the log lives in `<dataDir>/<topic>-<partition>`. */
  readonly dataDir: string
  /** The topic's whole log config at spawn time. */
  readonly config: LogConfigInput
  /** How often the partition sends itself Maintain (retention, compaction, snapshot). */
  readonly retentionCheckIntervalMs: number
  /** The clock for retention and segment age; tests pass a virtual one. */
  readonly nowMs?: () => number
  /** Opens the log; tests wrap it to watch or break flushes. Default: Log.open. */
  readonly openLog?: (dir: string, config: LogConfigInput, options: LogOptions) => Promise<Log>
  /** Where the partition reports damage and storage trouble; default stderr. */
  readonly logger?: BrokerLogger
}

/** Where a partition's log lives: Kafka's `<topic>-<partition>` directory. */
export const partitionLogDir = (dataDir: string, topic: string, partition: number): string =>
  join(dataDir, `${topic}-${partition}`)

/** The actor path of a partition hosted on a node: `<cluster>.<node>.partition.<topic>.<n>`. */
export const partitionPath = (clusterId: string, nodeId: number, topic: string, partition: number): ActorPath =>
  actorPath(clusterId, nodeId, 'partition', topic, partition)

/** What the partition sends itself: outside its protocol. */
type PartitionInternal =
  | { readonly _tag: 'FetchWaitExpired'; readonly fetch: ParkedFetch }
  | { readonly _tag: 'MaintenanceDue' }

/** Everything the actor's mailbox carries; others see it as an ActorRef<PartitionMessage>. */
export type PartitionCommand = PartitionMessage | PartitionInternal

interface PendingReply {
  readonly replyTo: ReplyTo<ProduceResult>
  readonly baseOffset: bigint
  readonly duplicate: boolean
}

const NO_RECORDS = Buffer.alloc(0)

/** A partition's log and producer state, opened; what a PartitionActor starts from. */
export interface OpenedPartition {
  readonly log: Log
  readonly producers: ProducerStateManager
}

/** Opens a partition's log and loads its producer state; on failure nothing stays open. */
export const openPartition = async (options: PartitionActorOptions, config: LogConfigInput = options.config): Promise<OpenedPartition> => {
  const dir = partitionLogDir(options.dataDir, options.topic, options.partition)
  const openLog = options.openLog ?? ((d, c, o) => Log.open(d, c, o))
  const log = await openLog(dir, config, { nowMs: options.nowMs })
  try {
    return { log, producers: await ProducerStateManager.load(dir, log) }
  } catch (error) {
    await log.close()
    throw error
  }
}

/**
 * The factory to spawn a partition with (use a restart strategy: state comes back from disk).
 * `opened`, when given, is what the first instance starts from (the broker opens a new topic's
 * partitions before it reports the topic created); restarts open the log again.
 */
export const partitionActor = (options: PartitionActorOptions, opened?: OpenedPartition): ActorFactory<PartitionCommand> => {
  // Outlives the instances: a restart reopens the log with the config AlterConfig last set.
  const settings = { config: options.config }
  let first = opened
  return async () => {
    const dir = partitionLogDir(options.dataDir, options.topic, options.partition)
    const openLog = options.openLog ?? ((d, c, o) => Log.open(d, c, o))
    const { log, producers } = first ?? (await openPartition(options, settings.config))
    first = undefined
    reportOpen(log, options)
    return new PartitionActor(options, settings, dir, openLog, log, producers)
  }
}

/** What the log found at open that an operator must hear: damage loudly, a cut torn tail and doubts as warnings. */
const reportOpen = (log: Log, options: PartitionActorOptions): void => {
  const logger = options.logger ?? consoleBrokerLogger
  const partition = `${options.topic}-${options.partition}`
  const { damage, recovery } = log
  if (damage !== undefined) {
    const { file, position, reason, firstOffset, endOffset } = damage
    logger.error(`partition ${partition} is damaged and refuses appends and reads of the damaged offsets: ${damage.message}`, {
      partition,
      file,
      position,
      reason,
      firstOffset,
      endOffset,
      repair: `rivulet log repair ${log.dir}`,
    })
  }
  if (recovery !== undefined) {
    logger.warn(`partition ${partition}: recovery after an unclean shutdown cut a torn tail above the recovery point`, {
      partition,
      file: log.segmentsForMaintenance().at(-1)?.file,
      ...recovery,
      recoveryPoint: log.openReport.recoveryPoint,
    })
  }
  for (const note of log.openReport.notes) logger.warn(`partition ${partition}: ${note}`, { partition })
}

class PartitionActor implements Actor<PartitionCommand> {
  private highWatermark: bigint
  private readonly parked = new FetchWaiters()
  private pending: PendingReply[] = []
  private maintainTimer: ReturnType<typeof setInterval> | undefined = undefined
  private deleted = false
  /** Whether the last append failed for want of space: said once to the operator, and once when it clears. */
  private outOfSpace = false
  /** Whether the last producer-state snapshot found no room: said once until one is written again. */
  private snapshotRefused = false
  private readonly name: string
  private readonly logger: BrokerLogger

  constructor(
    private readonly options: PartitionActorOptions,
    private readonly settings: { config: LogConfigInput },
    private readonly dir: string,
    private readonly openLog: NonNullable<PartitionActorOptions['openLog']>,
    private log: Log,
    private readonly producers: ProducerStateManager,
  ) {
    // Everything that survived on disk counts as committed on a single node.
    this.highWatermark = log.logEndOffset
    this.name = `${options.topic}-${options.partition}`
    this.logger = options.logger ?? consoleBrokerLogger
  }

  preStart(context: ActorContext<PartitionCommand>): void {
    const intervalMs = Math.min(this.options.retentionCheckIntervalMs, MAX_TIMER_MS)
    this.maintainTimer = setInterval(() => context.self.tell({ _tag: 'MaintenanceDue' }), intervalMs)
    this.maintainTimer.unref()
  }

  receive(message: PartitionCommand, context: ActorContext<PartitionCommand>): Promise<void> {
    return this.receiveBatch([message], context)
  }

  async receiveBatch(messages: readonly PartitionCommand[], context: ActorContext<PartitionCommand>): Promise<void> {
    for (const message of messages) {
      if (this.deleted) {
        replyToOf(message)?.fail(this.closedError())
        continue
      }
      switch (message._tag) {
        case 'Produce':
          this.produce(message)
          break
        case 'Fetch':
          await this.fetch(message, context)
          break
        case 'ListOffset':
          message.replyTo.reply(await this.listOffset(message.spec))
          break
        case 'Describe':
          message.replyTo.reply({
            topic: this.options.topic,
            partition: this.options.partition,
            logStartOffset: this.log.logStartOffset,
            logEndOffset: this.log.logEndOffset,
            highWatermark: this.highWatermark,
            sizeBytes: this.log.sizeBytes,
            segmentCount: this.log.segmentCount,
          })
          break
        case 'AlterConfig':
          await this.commit()
          await this.alterConfig(message.config, message.replyTo)
          break
        case 'Maintain':
          await this.commit()
          await this.maintain()
          message.replyTo.reply()
          break
        case 'MaintenanceDue':
          await this.commit()
          await this.maintain()
          break
        case 'DeleteLog':
          await this.commit()
          await this.deleteLog(context)
          message.replyTo.reply()
          break
        case 'FetchWaitExpired':
          this.parked.expire(message.fetch, {
            records: NO_RECORDS,
            highWatermark: this.highWatermark,
            logStartOffset: this.log.logStartOffset,
          })
          break
        default:
          absurd(message)
      }
    }
    await this.commit()
  }

  async postStop(): Promise<void> {
    clearInterval(this.maintainTimer)
    this.parked.failAll(this.closedError())
    if (this.deleted) return
    // A close that fails (a log that could not be flushed) throws before the snapshot: such a log is
    // recovered at open, and a snapshot could describe batches recovery cuts.
    await this.log.close()
    await this.snapshotIfRoom()
  }

  /** Checks and appends one batch; its reply waits for the burst's commit. */
  private produce(message: Extract<PartitionMessage, { readonly _tag: 'Produce' }>): void {
    const { batch, replyTo } = message
    const where = { topic: this.options.topic, partition: this.options.partition }
    // A damaged log takes no appends: offsets handed out before the damage may lie beyond it.
    if (this.log.damage !== undefined) return replyTo.fail(this.log.damage)
    if (message.internalTopicsAllowed !== true && isInternalTopic(where.topic)) {
      return replyTo.fail(new InternalTopicError({ topic: where.topic, operation: 'produce' }))
    }
    const check = checkProduceBytes(batch, this.log.config.maxBatchBytes, where)
    if (!check.ok) return replyTo.fail(check.error)
    if (check.idempotent) {
      const sequence = this.producers.checkBatch(batch, 0)
      switch (sequence.kind) {
        case 'append':
          break
        case 'duplicate':
          // Answered at the commit too: the original may be in this very burst, not yet durable.
          this.pending.push({ replyTo, baseOffset: sequence.baseOffset, duplicate: true })
          return
        case 'out-of-order':
          return replyTo.fail(
            new OutOfOrderSequenceError({
              ...where,
              producerId: producerIdAt(batch, 0),
              expectedSequence: sequence.expectedSequence,
              receivedSequence: sequence.receivedSequence,
            }),
          )
        case 'fenced':
          return replyTo.fail(
            new ProducerFencedError({
              ...where,
              producerId: producerIdAt(batch, 0),
              producerEpoch: producerEpochAt(batch, 0),
              currentEpoch: sequence.currentEpoch,
            }),
          )
        default:
          return absurd(sequence)
      }
    }
    let appended
    try {
      appended = this.log.appendUnflushed(check.batches)
    } catch (error) {
      if (!(error instanceof StorageFullError || error instanceof StorageWriteError)) throw error
      // The log cut the batch back: nothing of it is on disk or in the producer state; a retry is a first try.
      this.noteAppendFailed(error)
      return replyTo.fail(error)
    }
    this.noteAppendSucceeded()
    if (check.idempotent) this.producers.onAppendBatch(batch, 0)
    this.pending.push({ replyTo, baseOffset: appended.baseOffset, duplicate: false })
  }

  /** One flush for everything appended since the last commit, then the replies and the waiters. */
  private async commit(): Promise<void> {
    if (this.pending.length === 0) return
    const replies = this.pending
    this.pending = []
    await this.log.flushedPerPolicy()
    this.highWatermark = this.log.logEndOffset
    const logStartOffset = this.log.logStartOffset
    for (const { replyTo, baseOffset, duplicate } of replies) replyTo.reply({ baseOffset, logStartOffset, duplicate })
    await this.parked.wake(this.highWatermark, (offset, maxBytes) => this.read(offset, maxBytes))
  }

  private async fetch(
    message: Extract<PartitionMessage, { readonly _tag: 'Fetch' }>,
    context: ActorContext<PartitionCommand>,
  ): Promise<void> {
    let result: FetchResult
    try {
      result = await this.read(message.offset, message.maxBytes)
    } catch (error) {
      if (error instanceof OffsetOutOfRangeError || error instanceof LogCorruptedError) return message.replyTo.fail(error)
      throw error
    }
    if (result.records.length > 0 || message.maxWaitMs <= 0) return message.replyTo.reply(result)
    this.parked.park(message, (fetch) => context.self.tell({ _tag: 'FetchWaitExpired', fetch }))
  }

  private async read(offset: bigint, maxBytes: number): Promise<FetchResult> {
    const read = await this.log.read(offset, { maxBytes, maxOffset: this.highWatermark })
    return { records: read.bytes, highWatermark: this.highWatermark, logStartOffset: read.logStartOffset }
  }

  private async listOffset(spec: Extract<PartitionMessage, { readonly _tag: 'ListOffset' }>['spec']): Promise<bigint | undefined> {
    if (spec === 'earliest') return this.log.logStartOffset
    if (spec === 'latest') return this.highWatermark
    const offset = await this.log.offsetForTimestamp(spec.timestamp)
    return offset !== undefined && offset < this.highWatermark ? offset : undefined
  }

  private async alterConfig(config: LogConfigInput, replyTo: ReplyTo<void>): Promise<void> {
    try {
      decodeLogConfig(config)
    } catch (error) {
      return replyTo.fail(error as Error)
    }
    await this.log.close()
    this.settings.config = config
    this.log = await this.openLog(this.dir, config, { nowMs: this.options.nowMs })
    replyTo.reply()
  }

  private async maintain(): Promise<void> {
    await this.log.applyRetention()
    if (this.log.config.cleanupPolicy !== 'delete') {
      try {
        await this.log.compact()
      } catch (error) {
        if (!isOutOfSpace(error)) throw error
        this.logger.warn(`partition ${this.name}: no space to compact; retried at the next maintenance`, { cause: String(error) })
      }
    }
    await this.snapshotIfRoom()
  }

  /** The producer-state snapshot is a shortcut for the next open, not data: on a full disk it waits. */
  private async snapshotIfRoom(): Promise<void> {
    try {
      await this.producers.takeSnapshot(this.log.logEndOffset)
      this.snapshotRefused = false
    } catch (error) {
      if (!isOutOfSpace(error)) throw error
      if (this.snapshotRefused) return
      this.snapshotRefused = true
      this.logger.warn(`partition ${this.name}: no space for the producer-state snapshot; the log is replayed instead at the next open`, {
        cause: String(error),
      })
    }
  }

  private noteAppendFailed(error: StorageFullError | StorageWriteError): void {
    if (this.outOfSpace) return
    this.outOfSpace = true
    this.logger.error(`partition ${this.name}: appends fail, produce requests are refused until space is freed`, {
      file: error.file,
      bytes: error.bytes,
      code: error.code,
    })
  }

  private noteAppendSucceeded(): void {
    if (!this.outOfSpace) return
    this.outOfSpace = false
    this.logger.warn(`partition ${this.name}: appends resumed`)
  }

  private async deleteLog(context: ActorContext<PartitionCommand>): Promise<void> {
    clearInterval(this.maintainTimer)
    this.parked.failAll(this.closedError())
    this.deleted = true
    await this.log.delete()
    context.stopSelf()
  }

  private closedError(): ClosedError {
    return new ClosedError({ what: `partition ${this.name}` })
  }
}
