/**
 * The flags of `rivulet consume`, Kafka's and kcat's spellings beside Rivulet's: where to start
 * (--from, --from-beginning, kcat's --offset with -N from the end), one --partition, when to stop
 * (--max-messages, -e/--exit-at-end, --timeout-ms) and how to print (--json, -f/--format).
 */
import { InvalidArgumentError } from 'commander'
import { type CommonOptions, parseOffsetSpec } from '../common.js'
import type { StartSpec } from './consume-plan.js'

export interface ConsumeFlags extends CommonOptions {
  readonly from?: 'earliest' | 'latest' | bigint
  readonly fromBeginning?: boolean
  readonly offset?: StartSpec
  readonly partition?: number
  readonly maxMessages?: number
  readonly exitAtEnd?: boolean
  readonly timeoutMs?: number
  readonly group?: string
  readonly format?: string
}

/** kcat's -o: earliest/beginning, latest/end, an offset, or -N for N records before the end. */
export const parseKcatOffset = (text: string): StartSpec => {
  if (text === 'beginning' || text === 'earliest') return 'earliest'
  if (text === 'end' || text === 'latest') return 'latest'
  if (/^-\d+$/.test(text)) return { fromEnd: BigInt(text.slice(1)) }
  try {
    const offset = parseOffsetSpec(text)
    return typeof offset === 'bigint' ? { offset } : offset
  } catch {
    throw new InvalidArgumentError(`--offset expects earliest (or beginning), latest (or end), an offset, or -N for N records before the end; got "${text}"`)
  }
}

export const parseTimeoutMs = (text: string): number => {
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0 || n > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`--timeout-ms must be a positive number of milliseconds, got "${text}"`)
  }
  return n
}

/** The one start the flags say, or the reason they contradict each other. */
export const startSpecOf = (flags: ConsumeFlags): StartSpec | { readonly conflict: string } => {
  const given = [flags.from !== undefined && '--from', flags.fromBeginning === true && '--from-beginning', flags.offset !== undefined && '--offset'].filter(
    (flag): flag is string => flag !== false,
  )
  if (given.length > 1) return { conflict: `${given.join(' and ')} both say where to start: give one` }
  if (flags.fromBeginning === true) return 'earliest'
  if (flags.offset !== undefined) return flags.offset
  if (flags.from === undefined) return 'latest'
  return typeof flags.from === 'bigint' ? { offset: flags.from } : flags.from
}
