/**
 * `rivulet produce <topic>`: one record from --value, or one record per line of the input (stdin
 * in main). With --key-separator each line is split at its first separator into key and value,
 * as kafka-console-producer's parse.key does; a line without it is an error naming the line.
 */
import { createInterface } from 'node:readline'
import type { Producer, RecordMetadata } from '@rivulet/core'
import { Command } from 'commander'
import type { Output } from '../output.js'
import { type CommonOptions, type Done, jsonLine, withCommonOptions, withRivulet } from './common.js'

interface ProduceOptions extends CommonOptions {
  readonly key?: string
  readonly value?: string
  readonly keySeparator?: string
}

// Sends are pipelined so the producer can batch them; the window bounds what is held in memory.
const WINDOW = 1000

export const produceCommand = (output: Output, done: Done): Command =>
  withCommonOptions(
    new Command('produce')
      .description('send records to a topic: one from --value, else one per line of stdin')
      .argument('<topic>', 'the topic to send to')
      .option('--key <key>', 'the key of every record')
      .option('--value <value>', 'send this one record instead of reading stdin')
      .option('--key-separator <sep>', 'split each stdin line at the first <sep> into key and value'),
  ).action(async (topic: string, options: ProduceOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        const producer = rv.producer()
        const report = (metadata: RecordMetadata) => {
          if (options.json) output.out(jsonLine({ topic: metadata.topic, partition: metadata.partition, offset: metadata.offset, timestamp: metadata.timestamp }))
        }
        if (options.value !== undefined) {
          report(await producer.send(topic, { key: options.key ?? null, value: options.value }))
          if (!options.json) output.out(`produced 1 record to "${topic}"`)
          return
        }
        if (output.input === undefined) throw new Error('no --value given and no input to read records from')
        const count = await produceLines(producer, topic, output.input, options, report)
        if (!options.json) output.out(`produced ${count} record${count === 1 ? '' : 's'} to "${topic}"`)
      }),
    )
  })

const produceLines = async (
  producer: Producer,
  topic: string,
  input: NodeJS.ReadableStream,
  options: ProduceOptions,
  report: (metadata: RecordMetadata) => void,
): Promise<number> => {
  let pending: Promise<RecordMetadata>[] = []
  let count = 0
  const drain = async () => {
    const sent = pending
    pending = []
    // allSettled first: a failed send must not leave later ones unobserved.
    const results = await Promise.allSettled(sent)
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason
      report(result.value)
    }
  }
  const lines = createInterface({ input, crlfDelay: Infinity })
  let lineNumber = 0
  try {
    for await (const line of lines) {
      lineNumber++
      let key: string | null = options.key ?? null
      let value = line
      if (options.keySeparator !== undefined) {
        const at = line.indexOf(options.keySeparator)
        if (at < 0) {
          await drain()
          throw new Error(`line ${lineNumber} has no key separator ${JSON.stringify(options.keySeparator)} (the ${count} record${count === 1 ? ' before it was' : 's before it were'} sent)`)
        }
        key = line.slice(0, at)
        value = line.slice(at + options.keySeparator.length)
      }
      const sending = producer.send(topic, { key, value })
      // Observed now so a failure while the next lines are read is not an unhandled rejection; drain reports it.
      sending.catch(() => undefined)
      pending.push(sending)
      count++
      if (pending.length >= WINDOW) await drain()
    }
    await drain()
  } finally {
    lines.close()
  }
  return count
}
