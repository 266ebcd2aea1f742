/**
 * `rivulet perf produce <topic>` and `rivulet perf consume <topic>`: load generators in the
 * manner of kafka-producer-perf-test and kafka-consumer-perf-test. A line each second on stderr
 * (that second's records, rate and latency), then the whole run's summary on stdout: a line,
 * or one JSON object with --json. The work is in produce-perf.ts and consume-perf.ts.
 */
import { type Acks, type Rivulet, UnknownTopicError } from '@rivulet/core'
import { Command } from 'commander'
import type { Output } from '../../output.js'
import { type CommonOptions, describeError, type Done, jsonLine, parsePositiveInt, withCommonOptions, withRivulet } from '../common.js'
import { type Clock, systemClock } from './clock.js'
import { runConsumePerf } from './consume-perf.js'
import { parseAcks, parseNonNegativeInt, parseThroughput } from './perf-options.js'
import { runProducePerf } from './produce-perf.js'
import type { PerfSummary } from './progress.js'
import { summaryJson, summaryLine, windowLine } from './report.js'

interface ProducePerfFlags extends CommonOptions {
  readonly numRecords: number
  readonly recordSize: number
  readonly throughput: number
  readonly keys: number
  readonly acks: Acks
  readonly lingerMs?: number
  readonly batchBytes?: number
  readonly partitions?: number
}

interface ConsumePerfFlags extends CommonOptions {
  readonly numRecords?: number
  readonly timeoutMs: number
  readonly fetchMaxBytes?: number
}

const PRODUCE_LATENCY = 'send-to-ack latency'
const CONSUME_LATENCY = 'end-to-end latency (receive time minus record timestamp)'

const printSummary = (output: Output, json: boolean, summary: PerfSummary, latency: string, extra: Record<string, unknown>): void => {
  output.out(json ? jsonLine(summaryJson(summary, latency, extra)) : summaryLine(summary, latency))
}

/** The topic's metadata; a topic that does not exist is created, and stderr says so. */
const ensureTopic = async (rv: Rivulet, topic: string, partitions: number | undefined, output: Output): Promise<void> => {
  try {
    await rv.admin.describeTopic(topic)
    return
  } catch (error) {
    if (!(error instanceof UnknownTopicError)) throw error
  }
  const created = await rv.admin.createTopic(topic, { ...(partitions === undefined ? {} : { partitions }), ifNotExists: true })
  output.err(`created topic "${topic}" with ${created.partitionCount} partition${created.partitionCount === 1 ? '' : 's'} (it did not exist)`)
}

const produceCommand = (output: Output, done: Done, clock: Clock): Command =>
  withCommonOptions(
    new Command('produce')
      .description('send generated records as fast as possible or at --throughput, and report records/s, MB/s and send-to-acknowledgement latency')
      .argument('<topic>', 'the topic to send to (created when missing, with --partitions)')
      .requiredOption('--num-records <n>', 'how many records to send', parsePositiveInt('--num-records'))
      .option('--record-size <bytes>', 'the size of each record value', parsePositiveInt('--record-size'), 100)
      .option('--throughput <n>', 'records a second at most; -1 for no cap', parseThroughput, -1)
      .option('--keys <n>', 'spread records over n distinct keys in turn; 0 sends them without a key', parseNonNegativeInt('--keys'), 0)
      .option('--acks <acks>', '0, 1 or all (the producer is idempotent with all)', parseAcks, 'all' as Acks)
      .option('--linger-ms <ms>', "how long a batch waits for more records (the producer's lingerMs)", parseNonNegativeInt('--linger-ms'))
      .option('--batch-bytes <bytes>', "a batch is sent once it holds this many bytes (the producer's batchBytes)", parsePositiveInt('--batch-bytes'))
      .option('--partitions <n>', "partitions of the topic if it is created (default: the broker's defaultPartitions)", parsePositiveInt('--partitions')),
  ).action(async (topic: string, flags: ProducePerfFlags) =>
    done(
      await withRivulet(flags, output, async (rv) => {
        await ensureTopic(rv, topic, flags.partitions, output)
        const producer = rv.producer({
          acks: flags.acks,
          ...(flags.lingerMs === undefined ? {} : { lingerMs: flags.lingerMs }),
          ...(flags.batchBytes === undefined ? {} : { batchBytes: flags.batchBytes }),
        })
        const { summary, error } = await runProducePerf(producer, topic, flags, clock, (window) => output.err(windowLine(window, 'latency')))
        await producer.close()
        printSummary(output, flags.json, summary, PRODUCE_LATENCY, { topic, record_size: flags.recordSize, acks: flags.acks })
        if (error === undefined) return 0
        output.err(`error: stopped after ${summary.records} of ${flags.numRecords} records: ${describeError(error)}`)
        return 1
      }, { create: true }),
    ),
  )

const consumeCommand = (output: Output, done: Done, clock: Clock): Command =>
  withCommonOptions(
    new Command('consume')
      .description('read a topic from its start and report records/s, MB/s and end-to-end latency (receive time minus record timestamp)')
      .argument('<topic>', 'the topic to read')
      .option('--num-records <n>', 'how many records to read (default: up to the end each partition has when the run starts)', parsePositiveInt('--num-records'))
      .option('--timeout-ms <ms>', 'stop short when no record comes for this long', parsePositiveInt('--timeout-ms'), 10_000)
      .option('--fetch-max-bytes <bytes>', "the consumer's fetchMaxBytes", parsePositiveInt('--fetch-max-bytes')),
  ).action(async (topic: string, flags: ConsumePerfFlags) =>
    done(
      await withRivulet(flags, output, async (rv) => {
        const { partitions } = await rv.admin.describeTopic(topic)
        const consumer = rv.consumer(flags.fetchMaxBytes === undefined ? {} : { fetchMaxBytes: flags.fetchMaxBytes })
        const result = await runConsumePerf(consumer, topic, partitions, { numRecords: flags.numRecords, timeoutMs: flags.timeoutMs }, clock, (window) =>
          output.err(windowLine(window, 'e2e latency')),
        )
        await consumer.close()
        printSummary(output, flags.json, result.summary, CONSUME_LATENCY, { topic })
        const { stoppedShort } = result
        if (stoppedShort === undefined) return 0
        const read = `${result.summary.records} of ${result.expected} records`
        if (stoppedShort.reason === 'error') output.err(`error: stopped after ${read}: ${describeError(stoppedShort.error)}`)
        else output.err(`error: stopped after ${read}: no record came for ${flags.timeoutMs} ms (--timeout-ms)`)
        return 1
      }),
    ),
  )

/** The `perf` command group; `clock` is injected by tests. */
export const perfCommand = (output: Output, done: Done, clock: Clock = systemClock): Command =>
  new Command('perf')
    .description('load generators: perf produce and perf consume (as kafka-producer-perf-test and kafka-consumer-perf-test)')
    .addCommand(produceCommand(output, done, clock))
    .addCommand(consumeCommand(output, done, clock))
