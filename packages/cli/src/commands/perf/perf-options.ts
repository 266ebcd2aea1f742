/** Parsers for the perf commands' flags; each refusal names the flag and what it accepts. */
import type { Acks } from '@rivulet/core'
import { InvalidArgumentError } from 'commander'

const wholeNumber = (text: string): number | undefined => {
  const n = Number(text)
  return /^\d+$/.test(text) && Number.isSafeInteger(n) ? n : undefined
}

export const parseNonNegativeInt = (flag: string) => (text: string): number => {
  const n = wholeNumber(text)
  if (n === undefined) throw new InvalidArgumentError(`${flag} must be 0 or a positive integer, got "${text}"`)
  return n
}

/** Records a second: a positive integer, or -1 for no cap (kafka-producer-perf-test's --throughput). */
export const parseThroughput = (text: string): number => {
  if (text === '-1') return -1
  const n = wholeNumber(text)
  if (n === undefined || n === 0) throw new InvalidArgumentError(`--throughput must be a positive number of records a second, or -1 for no cap, got "${text}"`)
  return n
}

/** 0, 1 or all; -1 is Kafka's spelling of all. */
export const parseAcks = (text: string): Acks => {
  if (text === '0') return 0
  if (text === '1') return 1
  if (text === 'all' || text === '-1') return 'all'
  throw new InvalidArgumentError(`--acks must be 0, 1 or all (or -1, which is all), got "${text}"`)
}
