/**
 * What the commands that work on an embedded data directory share: the --data-dir and --json
 * options, opening and always closing the Rivulet (its lock is released even when the work
 * fails), one-line error reports, JSON lines with bigints as strings, and argument parsers.
 */
import { Rivulet } from '@rivulet/core'
import { type Command, InvalidArgumentError } from 'commander'
import type { Output } from '../output.js'

export interface CommonOptions {
  readonly dataDir: string
  readonly json: boolean
}

/** Sets the process exit code once an action is done. */
export type Done = (code: number) => void

export const withCommonOptions = (command: Command): Command =>
  command
    .option('--data-dir <dir>', 'the embedded data directory', './data')
    .option('--json', 'one JSON object per line, for scripts', false)
    .option('--bootstrap-server <servers>', 'Kafka tools\' way to reach a cluster: refused, see the message')
    .hook('preAction', (_command, action) => {
      if (action.opts().bootstrapServer !== undefined) {
        action.error(
          `error: --bootstrap-server ${action.opts().bootstrapServer}: this rivulet works on an embedded data directory (--data-dir, default ./data); reaching a cluster over the network is not there yet`,
          { exitCode: 1, code: 'rivulet.bootstrapServer' },
        )
      }
    })

/** The first line of an error's message: what a one-line report says. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) return error.message.split('\n')[0]!
  return String(error)
}

/**
 * Opens the data directory, runs `work`, closes it. Any failure (including a locked directory
 * or a failed close) is one line on stderr and exit code 1. Only a command that makes something
 * (`topic create`) passes `create`; the others refuse a directory with no Rivulet data in it
 * ("no Rivulet data directory at ./typo") and create nothing.
 */
export const withRivulet = async (
  options: CommonOptions,
  output: Output,
  work: (rv: Rivulet) => Promise<number | void>,
  { create = false }: { readonly create?: boolean } = {},
): Promise<number> => {
  let rv: Rivulet
  try {
    rv = await Rivulet.embedded({ dataDir: options.dataDir, createIfMissing: create })
  } catch (error) {
    output.err(`error: ${describeError(error)}`)
    return 1
  }
  let code = 0
  try {
    code = (await work(rv)) ?? 0
  } catch (error) {
    output.err(`error: ${describeError(error)}`)
    code = 1
  }
  try {
    await rv.close()
  } catch (error) {
    output.err(`error: while closing ${options.dataDir}: ${describeError(error)}`)
    code = 1
  }
  return code
}

/** JSON with bigints (offsets) as strings. */
export const jsonLine = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))

export const parsePositiveInt = (what: string) => (text: string): number => {
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer, got "${text}"`)
  return n
}

/** The largest offset there can be: offsets are int64, as in Kafka. */
const MAX_OFFSET = 2n ** 63n - 1n

/** 'earliest', 'latest' or an offset from 0 to 2^63-1. */
export const parseOffsetSpec = (text: string): 'earliest' | 'latest' | bigint => {
  if (text === 'earliest' || text === 'latest') return text
  if (/^\d+$/.test(text)) {
    const offset = BigInt(text)
    if (offset <= MAX_OFFSET) return offset
    throw new InvalidArgumentError(`offset ${text} is past the largest offset there can be (${MAX_OFFSET}, offsets are int64)`)
  }
  throw new InvalidArgumentError(`expected earliest, latest or an offset from 0 to ${MAX_OFFSET}, got "${text}"`)
}


/** A partition number: 0, 1, ... */
export const parsePartition = (text: string): number => {
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`--partition must be a partition number (0, 1, ...), got "${text}"`)
  return n
}

/**
 * The topic a command names as its argument or as Kafka tools' `--topic`: one of them, or both
 * the same; otherwise why not, for the one-line error.
 */
export const topicFrom = (positional: string | undefined, flag: string | undefined, usage: string): { readonly topic: string } | { readonly refusal: string } => {
  if (positional !== undefined && flag !== undefined && positional !== flag) return { refusal: `two topics given: "${positional}" and --topic "${flag}"` }
  const topic = positional ?? flag
  return topic === undefined ? { refusal: usage } : { topic }
}
