/**
 * `rivulet produce <topic>`: one record from --value, or one record per line of the input (stdin
 * in main). Lines are bytes, split at --line-separator (default `\n`) only and never decoded, so
 * binary input and `\r\n` input arrive byte for byte (a `\r` stays in the record). With
 * --key-separator each line is split at its first separator byte into key and value, as
 * kafka-console-producer's parse.key does.
 *
 * A line that cannot be produced (no key separator, a record the broker refuses) is reported with
 * its number and the error, and stops the run with exit code 1; with --continue-on-error the
 * later lines are still sent, and the exit code is 1 all the same if any line failed.
 */
import type { Producer, RecordMetadata } from '@rivulet/core'
import { Command, InvalidArgumentError } from 'commander'
import { createReadStream, statSync } from 'node:fs'
import type { Output } from '../output.js'
import { type ProduceProgress, produceProgress } from './produce-progress.js'
import { byteLines, parseSeparatorByte } from './byte-lines.js'
import { type CommonOptions, describeError, type Done, jsonLine, topicFrom, withCommonOptions, withRivulet } from './common.js'

interface ProduceOptions extends CommonOptions {
  readonly topic?: string
  readonly file?: string
  readonly header: readonly { readonly key: string; readonly value: string }[]
  readonly key?: string
  readonly value?: string
  readonly keySeparator?: number
  readonly lineSeparator: number
  readonly continueOnError: boolean
}

// Sends are pipelined so the producer can batch them; the window bounds what is held in memory.
const WINDOW = 1000

const separatorOption = (option: string) => (text: string): number => {
  const byte = parseSeparatorByte(text)
  if (byte === undefined) {
    throw new InvalidArgumentError(`${option} is one byte: a character such as ":", or \\t, \\n, \\r, \\0, \\\\ or \\xHH; got ${JSON.stringify(text)}`)
  }
  return byte
}

/** `0x09 ("\t")`: a separator byte as the user may have typed it. */
const showByte = (byte: number): string => `0x${byte.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(byte))})`

/** kcat's -H key=value: a header of every record. */
const parseHeader = (entry: string, previous: readonly { key: string; value: string }[]) => {
  const at = entry.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`--header expects key=value, got "${entry}"`)
  return [...previous, { key: entry.slice(0, at), value: entry.slice(at + 1) }]
}

/** A line the command could not make a record of; reported with its number, the run goes on or stops. */
class MissingKeySeparatorError extends Error {
  constructor(readonly separator: number) {
    super(`no key separator ${showByte(separator)} in the line`)
    this.name = 'MissingKeySeparatorError'
  }
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

export const produceCommand = (output: Output, done: Done): Command =>
  withCommonOptions(
    new Command('produce')
      .description('send records to a topic: one from --value, else one per line of stdin (bytes, split at \\n only)')
      .argument('[topic]', 'the topic to send to (or --topic)')
      .option('--topic <name>', "the topic to send to (Kafka tools' spelling)")
      .option('--file <path>', 'read the records from this file instead of stdin (a progress bar shows on a terminal)')
      .option('-H, --header <key=value>', 'a header of every record, as kcat -H (repeatable)', parseHeader, [])
      .option('--key <key>', 'the key of every record')
      .option('--value <value>', 'send this one record instead of reading stdin')
      .option('--key-separator <byte>', 'split each line at its first <byte> into key and value (a character, or \\t, \\0, \\xHH...)', separatorOption('--key-separator'))
      .option('--line-separator <byte>', 'the byte that ends a line of stdin (a character, or \\n, \\0, \\xHH...)', separatorOption('--line-separator'), 0x0a)
      .option('--continue-on-error', 'report a line that cannot be produced and go on with the next (the exit code is still 1)', false),
  ).action(async (positional: string | undefined, options: ProduceOptions) => {
    const named = topicFrom(positional, options.topic, 'give the topic to send to: rivulet produce <topic> (or --topic <topic>)')
    if ('refusal' in named) {
      output.err(`error: ${named.refusal}`)
      return done(1)
    }
    const { topic } = named
    if (options.file !== undefined && options.value !== undefined) {
      output.err('error: --file and --value both give the records: give one')
      return done(1)
    }
    if (options.keySeparator !== undefined && options.keySeparator === options.lineSeparator) {
      output.err(`error: --key-separator and --line-separator are both ${showByte(options.lineSeparator)}: no line could hold its key separator`)
      return done(1)
    }
    done(
      await withRivulet(options, output, async (rv) => {
        const producer = rv.producer()
        const report = (metadata: RecordMetadata) => {
          if (options.json) output.out(jsonLine({ topic: metadata.topic, partition: metadata.partition, offset: metadata.offset, timestamp: metadata.timestamp }))
        }
        if (options.value !== undefined) {
          report(await producer.send(topic, { key: options.key ?? null, value: options.value, headers: options.header }))
          if (!options.json) output.out(`produced 1 record to "${topic}"`)
          return
        }
        const source = inputOf(options, output)
        const progress = produceProgress({ stream: output.progress, totalBytes: source.size, delayMs: 1000 })
        try {
          return await produceLines(producer, topic, source.input, options, output, report, progress)
        } finally {
          progress.stop()
        }
      }),
    )
  })

/** A file named by --file (opened here, so a missing one is the usual one-line error), or stdin. */
const inputOf = (options: ProduceOptions, output: Output): { input: NodeJS.ReadableStream; size: number | undefined } => {
  if (options.file !== undefined) {
    // stat first: a missing file is one error here, not an unhandled error event of the stream.
    const size = statSync(options.file).size
    return { input: createReadStream(options.file), size }
  }
  if (output.input === undefined) throw new InvalidArgumentError('no --value or --file given and no stdin to read records from')
  return { input: output.input, size: output.inputBytes }
}

/** One line handed to the producer, with its number for the report. */
interface SentLine {
  readonly line: number
  readonly sending: Promise<RecordMetadata>
}

const produceLines = async (
  producer: Producer,
  topic: string,
  input: NodeJS.ReadableStream,
  options: ProduceOptions,
  output: Output,
  report: (metadata: RecordMetadata) => void,
  progress: ProduceProgress,
): Promise<number> => {
  const key = options.key === undefined ? null : Buffer.from(options.key, 'utf8')
  const headers = options.header.length === 0 ? undefined : options.header
  let bytesRead = 0
  let pending: SentLine[] = []
  let produced = 0
  let failed = 0
  let firstFailedLine: number | undefined
  // Set as soon as any send fails, so reading stops without waiting for the window to fill.
  let sawFailure = false
  const drain = async () => {
    const sent = pending
    pending = []
    // allSettled first: a failed send must not leave later ones unobserved.
    const results = await Promise.allSettled(sent.map(({ sending }) => sending))
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!
      if (result.status === 'fulfilled') {
        produced++
        report(result.value)
      } else {
        failed++
        firstFailedLine ??= sent[i]!.line
        output.err(`error: line ${sent[i]!.line}: ${describeError(result.reason)}`)
      }
    }
  }
  const send = (line: number, sending: Promise<RecordMetadata>) => {
    // Observed now so a failure while the next lines are read is not an unhandled rejection; drain reports it.
    sending.catch(() => {
      sawFailure = true
    })
    pending.push({ line, sending })
  }
  let lineNumber = 0
  for await (const line of byteLines(input as AsyncIterable<Buffer | string>, options.lineSeparator)) {
    lineNumber++
    bytesRead += line.length + 1
    if (options.keySeparator === undefined) {
      send(lineNumber, producer.send(topic, { key, value: line, headers }))
    } else {
      const at = line.indexOf(options.keySeparator)
      if (at < 0) {
        // Known at once: the lines after it are not read.
        sawFailure = true
        send(lineNumber, Promise.reject(new MissingKeySeparatorError(options.keySeparator)))
      } else send(lineNumber, producer.send(topic, { key: line.subarray(0, at), value: line.subarray(at + 1), headers }))
    }
    if (pending.length >= WINDOW) {
      await drain()
      progress.update(produced, bytesRead)
    }
    if (sawFailure && !options.continueOnError) break
  }
  await drain()
  const summary = `produced ${plural(produced, 'record', 'records')} to "${topic}"`
  if (failed === 0) {
    if (!options.json) output.out(summary)
    return 0
  }
  if (options.continueOnError) output.err(`${summary}; ${plural(failed, 'line', 'lines')} failed`)
  else output.err(`stopped at line ${firstFailedLine} (--continue-on-error goes past a failed line); ${summary}`)
  return 1
}
