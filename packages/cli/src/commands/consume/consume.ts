/**
 * `rivulet consume <topic>`: prints records until --max-messages, the end of every partition
 * (-e, as kcat), --timeout-ms without a record, or an interrupt (SIGINT in main), then closes
 * cleanly; each is a normal end (exit 0). Without -e it says on stderr once every partition has
 * been read to the end it had at the start, and for a start offset past the end, that it waits.
 * With --group it reads as a member of that group, resuming at its committed offsets (--from
 * earliest|latest only says where a partition without one starts) and committing what it printed.
 */
import { type Consumer, type ConsumerRecord, type GroupConsumer, type Rivulet, UnknownGroupError } from '@rivulet/core'
import { Command, InvalidArgumentError } from 'commander'
import type { Output } from '../../output.js'
import { type Done, parseOffsetSpec, parsePartition, parsePositiveInt, topicFrom, withCommonOptions, withRivulet } from '../common.js'
import { EndTracker, type PartitionStart, startOf, type StartSpec } from './consume-plan.js'
import { type ConsumeFlags, parseKcatOffset, parseTimeoutMs, startSpecOf } from './consume-options.js'
import { defaultLine, jsonRecord, parseFormat, type RecordPrinter } from './record-format.js'

export const consumeCommand = (output: Output, done: Done): Command =>
  withCommonOptions(
    new Command('consume')
      .description('print the records of a topic')
      .argument('[topic]', 'the topic to read (or --topic)')
      .option('--topic <name>', 'the topic to read (Kafka tools\' spelling)')
      .option('--from <where>', "earliest, latest or an offset (default: latest, or the group's committed offsets)", parseOffsetSpec)
      .option('--from-beginning', 'the same as --from earliest (kafka-console-consumer)')
      .option('-o, --offset <where>', 'kcat\'s: beginning, end, an offset, or -N for the last N records of each partition', parseKcatOffset)
      .option('-p, --partition <n>', 'read only this partition', parsePartition)
      .option('-c, --max-messages <n>', 'stop after printing n records', parsePositiveInt('--max-messages'))
      .option('-e, --exit-at-end', 'exit once every partition is read to the end it had when consume started (kcat -e)')
      .option('--timeout-ms <ms>', 'exit when no record arrived for this long (kafka-console-consumer)', parseTimeoutMs)
      .option('-f, --format <format>', "kcat's format: %t topic, %p partition, %o offset, %k key, %s value, %K/%S key/value size, %T timestamp, %h headers; \\n \\t")
      .option('--group <id>', 'read as a member of this consumer group and commit what was printed'),
  ).action(async (positional: string | undefined, flags: ConsumeFlags & { readonly topic?: string }) => {
    const named = topicFrom(positional, flags.topic, 'give the topic to read: rivulet consume <topic> (or --topic <topic>)')
    const topic = 'topic' in named ? named.topic : undefined
    const spec = startSpecOf(flags)
    const refusal =
      'refusal' in named
        ? named.refusal
        : typeof spec === 'object' && 'conflict' in spec
          ? spec.conflict
          : flags.format !== undefined && flags.json
            ? '--format and --json both say how to print: give one'
            : flags.group !== undefined && (flags.partition !== undefined || (typeof spec === 'object' && !('conflict' in spec)))
              ? '--group reads the partitions the group assigns from its committed offsets: --partition, --offset and --from <offset> cannot be used with it (move the group with "rivulet group reset-offsets")'
              : undefined
    if (refusal !== undefined) {
      output.err(`error: ${refusal}`)
      return done(1)
    }
    let printer: RecordPrinter
    try {
      printer = flags.format !== undefined ? parseFormat(flags.format) : flags.json ? jsonRecord : defaultLine
    } catch (error) {
      output.err(`error: ${(error as Error).message}`)
      return done(1)
    }
    done(await withRivulet(flags, output, (rv) => consume(rv, topic!, spec as StartSpec, flags, printer, output)))
  })

/** The group's committed offsets for the topic's partitions; none for a group that does not exist yet. */
const committedOffsets = async (rv: Rivulet, groupId: string, topic: string): Promise<Map<number, bigint>> => {
  try {
    const group = await rv.admin.describeGroup(groupId)
    return new Map(group.offsets.flatMap((p) => (p.topic === topic && p.committed !== undefined ? [[p.partition, p.committed] as const] : [])))
  } catch (error) {
    if (error instanceof UnknownGroupError) return new Map()
    throw error
  }
}

const starts = async (rv: Rivulet, topic: string, spec: StartSpec, flags: ConsumeFlags): Promise<PartitionStart[]> => {
  const { partitions } = await rv.admin.describeTopic(topic)
  if (flags.partition !== undefined && !partitions.some((p) => p.partition === flags.partition)) {
    throw new InvalidArgumentError(`topic "${topic}" has partitions 0 to ${partitions.length - 1}: there is no partition ${flags.partition}`)
  }
  const chosen = flags.partition === undefined ? partitions : partitions.filter((p) => p.partition === flags.partition)
  if (flags.group === undefined) return chosen.map((bounds) => startOf(spec, bounds))
  const committed = await committedOffsets(rv, flags.group, topic)
  return chosen.map((bounds) => {
    const offset = committed.get(bounds.partition)
    return offset === undefined ? startOf(spec, bounds) : startOf({ offset }, bounds)
  })
}

const consume = async (rv: Rivulet, topic: string, spec: StartSpec, flags: ConsumeFlags, printer: RecordPrinter, output: Output): Promise<void> => {
  const plan = await starts(rv, topic, spec, flags)
  const tracker = new EndTracker()
  for (const start of plan) {
    if (start.pastEnd) output.err(`${topic} [${start.partition}]: offset ${start.offset} is past the end (${start.end}); reading from the end as new records arrive`)
    tracker.add(start.partition, start.pastEnd ? start.end : start.offset, start.end)
  }
  if (flags.exitAtEnd === true && tracker.allReached) {
    output.err(`${topic}: nothing to read, every partition is at its end`)
    return
  }
  let consumer: Consumer | GroupConsumer
  let records: ReturnType<Consumer['assign']>
  if (flags.group === undefined) {
    const plain = rv.consumer()
    consumer = plain
    records = plain.assign(plan.map(({ partition, offset }) => ({ topic, partition, offset })))
  } else {
    const member = rv.consumer({ groupId: flags.group, autoOffsetReset: spec === 'earliest' ? 'earliest' : 'latest' })
    consumer = member
    records = member.subscribe(topic)
  }

  let printed = 0
  let finish: () => void = () => undefined
  const ended = new Promise<void>((resolve, reject) => {
    let idle: NodeJS.Timeout | undefined
    const armIdle = () => {
      if (flags.timeoutMs === undefined) return
      clearTimeout(idle)
      idle = setTimeout(() => {
        output.err(`${topic}: no record for ${flags.timeoutMs} ms; exiting (--timeout-ms)`)
        finish()
      }, flags.timeoutMs)
    }
    const subscription = records.subscribe({
      next: (record: ConsumerRecord) => {
        const line = printer(record)
        // A format prints exactly what it says, as kcat's: its own \n ends the line, or none does.
        if (flags.format !== undefined && output.write !== undefined) output.write(line)
        else output.out(flags.format !== undefined && line.endsWith('\n') ? line.slice(0, -1) : line)
        printed++
        armIdle()
        const reachedNow = tracker.advance(record.partition, record.offset + 1n)
        if (printed === flags.maxMessages) return finish()
        if (reachedNow && tracker.allReached) {
          if (flags.exitAtEnd === true) return finish()
          output.err(`${topic}: read every partition to its end; waiting for new records (-e exits at the end, Ctrl-C stops)`)
        }
      },
      error: (error: unknown) => {
        clearTimeout(idle)
        reject(error)
      },
      complete: () => {
        clearTimeout(idle)
        resolve()
      },
    })
    finish = () => {
      clearTimeout(idle)
      subscription.unsubscribe()
      resolve()
    }
    armIdle()
    if (flags.exitAtEnd !== true && tracker.allReached && tracker.size > 0) {
      output.err(`${topic}: every partition is at its end; waiting for new records (-e exits at the end, Ctrl-C stops)`)
    }
  })
  const stop = () => finish()
  const signal = output.interrupt
  if (signal !== undefined) signal.addEventListener('abort', stop, { once: true })
  else process.once('SIGINT', stop)
  try {
    if (signal?.aborted === true) finish()
    await ended
  } finally {
    signal?.removeEventListener('abort', stop)
    process.off('SIGINT', stop)
    // A group member commits what it printed and leaves.
    await consumer.close()
  }
}
