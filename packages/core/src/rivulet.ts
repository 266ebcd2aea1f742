/**
 * The entry point: `Rivulet.embedded({ dataDir })` runs a broker inside this process on real
 * files and hands out the admin, producers and consumers that talk to it. Reopening the same data
 * directory brings every topic, partition, offset and producer id back.
 */
import { ActorSystem } from './actor/actor-system.js'
import { startBroker } from './broker/broker-actor.js'
import { decodeBrokerConfig, type BrokerConfigInput } from './broker/broker-config.js'
import { InvalidBrokerConfigError } from './broker/broker-errors.js'
import type { BrokerLogger } from './broker-logger.js'
import { Admin } from './client/admin.js'
import type { ClusterConnection } from './client/cluster-connection.js'
import { Consumer } from './client/consumer.js'
import { GroupConsumer } from './client/group-consumer.js'
import type { GroupConsumerOptionsInput } from './client/group-options.js'
import { localConnection } from './client/local-connection.js'
import type { ConsumerOptionsInput, ProducerOptionsInput } from './client/options.js'
import { Producer } from './client/producer.js'
import { producerDeadLetters } from './client/producer-dead-letters.js'
import { lockDataDir, type DataDirLock } from './data-dir-lock.js'
import { ClosedError, DataDirNotADirectoryError, NoDataDirError } from './errors.js'
import { statSync } from 'node:fs'
import { clusterDir } from './broker/topic-registry.js'

export interface EmbeddedOptions extends BrokerConfigInput {
  /** How long an ask inside the process may take before it fails; default 30 s. */
  readonly askTimeoutMs?: number
  /** Where the broker reports damage, low limits and storage trouble; default stderr. */
  readonly logger?: BrokerLogger
  /**
   * Default true: a missing data directory is created. With false, opening one that holds no
   * Rivulet data (missing, or without its `__cluster/`) fails with NoDataDirError and creates
   * nothing: what read-only tools want, so a typo does not make an empty cluster.
   */
  readonly createIfMissing?: boolean
}

const EMBEDDED_KEYS = ['askTimeoutMs', 'logger', 'createIfMissing']

/** The two options Rivulet.embedded keeps for itself; the rest is the broker's config. */
const checkEmbeddedOptions = (askTimeoutMs: unknown, logger: unknown): void => {
  // Node's timers take at most 2^31-1 ms; above it they fire at once.
  if (typeof askTimeoutMs !== 'number' || !Number.isInteger(askTimeoutMs) || askTimeoutMs <= 0 || askTimeoutMs > 2 ** 31 - 1) {
    throw new InvalidBrokerConfigError({ key: 'askTimeoutMs', value: askTimeoutMs, reason: 'expected a positive integer of milliseconds, at most 2147483647' })
  }
  if (logger !== undefined) {
    const methods = logger as Partial<BrokerLogger> | null
    if (typeof logger !== 'object' || methods === null || typeof methods.warn !== 'function' || typeof methods.error !== 'function') {
      throw new InvalidBrokerConfigError({ key: 'logger', value: logger, reason: 'expected an object with warn(message, fields) and error(message, fields) methods' })
    }
  }
}

/** A file where the data directory should be is refused by name, never turned into a raw EEXIST. */
const checkDataDir = (dataDir: string, createIfMissing: boolean): void => {
  const found = statSync(dataDir, { throwIfNoEntry: false })
  if (found !== undefined && !found.isDirectory()) throw new DataDirNotADirectoryError({ dataDir })
  if (createIfMissing) return
  if (found === undefined || statSync(clusterDir(dataDir), { throwIfNoEntry: false })?.isDirectory() !== true) throw new NoDataDirError({ dataDir })
}

export class Rivulet {
  readonly admin: Admin
  private readonly producers = new Set<Producer>()
  private readonly consumers = new Set<Consumer | GroupConsumer>()
  private closing: Promise<void> | undefined

  private constructor(
    private readonly connection: ClusterConnection,
    private readonly system: ActorSystem,
    private readonly lock: DataDirLock,
  ) {
    this.admin = new Admin(connection)
  }

  /**
   * Starts a broker in this process on `dataDir` (created if missing). Fails with a clear error
   * for a bad setting, a corrupt broker file, or a data directory another process is using.
   */
  static async embedded(options: EmbeddedOptions): Promise<Rivulet> {
    const { askTimeoutMs = 30_000, logger, createIfMissing = true, ...brokerConfig } = options ?? ({} as EmbeddedOptions)
    checkEmbeddedOptions(askTimeoutMs, logger)
    if (typeof createIfMissing !== 'boolean') throw new InvalidBrokerConfigError({ key: 'createIfMissing', value: createIfMissing, reason: 'expected true or false' })
    const { dataDir } = decodeBrokerConfig(brokerConfig, EMBEDDED_KEYS)
    checkDataDir(dataDir, createIfMissing)
    const lock = lockDataDir(dataDir)
    const system = new ActorSystem({ askTimeoutMs })
    try {
      const broker = startBroker(system, brokerConfig, { logger })
      const connection = localConnection(system, broker)
      const rivulet = new Rivulet(connection, system, lock)
      // The first answer from the broker means every partition it restored is spawned.
      await rivulet.admin.listTopics()
      return rivulet
    } catch (error) {
      await system.shutdown()
      lock.release()
      throw error
    }
  }

  /** A producer; idempotent by default. Closed (flushed) by `close()` if still open. */
  producer(options?: ProducerOptionsInput): Producer {
    this.ensureOpen('producer')
    const producer = new Producer(this.connection, options)
    this.producers.add(producer)
    return producer
  }

  /**
   * With a groupId, a consumer in that group: it reads the partitions the group assigns it and
   * commits its offsets. Without, a consumer that reads what it is given. Closed by `close()` if
   * still open.
   */
  consumer(options: GroupConsumerOptionsInput): GroupConsumer
  consumer(options?: ConsumerOptionsInput): Consumer
  consumer(options?: ConsumerOptionsInput | GroupConsumerOptionsInput): Consumer | GroupConsumer {
    this.ensureOpen('consumer')
    const deadLetters = producerDeadLetters(this.connection)
    const consumer =
      options !== undefined && 'groupId' in options
        ? new GroupConsumer(this.connection, options, deadLetters)
        : new Consumer(this.connection, options, deadLetters)
    this.consumers.add(consumer)
    return consumer
  }

  /**
   * Stops consumers, then flushes producers, then closes every log. Consumers go first: records
   * a group consumer's pipeline is finishing may still be sent through these producers before
   * they are committed. A second close is harmless.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.admin.close()
      const results = await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()))
      results.push(...(await Promise.allSettled([...this.producers].map((producer) => producer.close()))))
      try {
        await this.system.shutdown()
      } finally {
        this.lock.release()
      }
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
      if (failure !== undefined) throw failure.reason
    })()
    return this.closing
  }

  private ensureOpen(what: string): void {
    if (this.closing !== undefined) throw new ClosedError({ what: `Rivulet (asked for a ${what})` })
  }
}
