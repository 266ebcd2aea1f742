/**
 * `rivulet consume <topic>`: prints records (key and value as UTF-8, partition, offset,
 * timestamp) until --max-messages have been printed, or, without it, until interrupted (SIGINT
 * in main), then closes cleanly. With --group it reads as a member of that group, resuming at
 * its committed offsets (--from earliest|latest only says where to start without one) and
 * committing what it printed.
 */
import type { Consumer, ConsumerRecord, GroupConsumer, Rivulet } from '@rivulet/core'
import { Command } from 'commander'
import type { Output } from '../output.js'
import { type CommonOptions, type Done, jsonLine, parseOffsetSpec, parsePositiveInt, withCommonOptions, withRivulet } from './common.js'

interface ConsumeOptions extends CommonOptions {
  readonly from?: 'earliest' | 'latest' | bigint
  readonly maxMessages?: number
  readonly group?: string
}

const text = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('utf8'))

export const consumeCommand = (output: Output, done: Done): Command =>
  withCommonOptions(
    new Command('consume')
      .description('print the records of a topic')
      .argument('<topic>', 'the topic to read')
      .option('--from <where>', 'earliest, latest or an offset (default: latest, or the group\'s committed offsets)', parseOffsetSpec)
      .option('--max-messages <n>', 'stop after printing n records', parsePositiveInt('--max-messages'))
      .option('--group <id>', 'read as a member of this consumer group and commit what was printed'),
  ).action(async (topic: string, options: ConsumeOptions) => {
    if (options.group !== undefined && typeof options.from === 'bigint') {
      output.err(`error: --from ${options.from} cannot be used with --group: move the group with "rivulet group reset-offsets" instead`)
      return done(1)
    }
    done(await withRivulet(options, output, (rv) => consume(rv, topic, options, output)))
  })

const consume = async (rv: Rivulet, topic: string, options: ConsumeOptions, output: Output): Promise<void> => {
  const from = options.from ?? 'latest'
  let consumer: Consumer | GroupConsumer
  let records: AsyncIterableIterator<ConsumerRecord>
  if (options.group !== undefined) {
    consumer = rv.consumer({ groupId: options.group, autoOffsetReset: from as 'earliest' | 'latest' })
    records = consumer.iterate(topic)
  } else {
    consumer = rv.consumer()
    records = consumer.iterate(topic, { from: typeof from === 'bigint' ? { offset: from } : from })
  }
  // Closing the consumer completes its records: the loop below ends, a group member commits and leaves.
  const stop = () => void consumer.close()
  const signal = output.interrupt
  if (signal !== undefined) signal.addEventListener('abort', stop, { once: true })
  else process.once('SIGINT', stop)
  try {
    if (signal?.aborted === true) return
    let printed = 0
    for await (const record of records) {
      const line = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp, key: text(record.key), value: text(record.value) }
      output.out(
        options.json ? jsonLine(line) : `partition=${line.partition} offset=${line.offset} timestamp=${line.timestamp} key=${line.key ?? 'null'} value=${line.value ?? 'null'}`,
      )
      if (++printed === options.maxMessages) break
    }
  } finally {
    signal?.removeEventListener('abort', stop)
    process.off('SIGINT', stop)
    await consumer.close()
  }
}
