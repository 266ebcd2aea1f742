/**
 * Each partition holds 3 descriptors (its active segment's log, offset index and time index)
 * plus closed segments' files while they are open; the process needs some for everything else.
 * At start the broker compares that with its soft limit of open files (Linux:
 * /proc/self/limits, "Max open files") and warns when it is too low: past it, opening a partition
 * fails with EMFILE.
 */
import { readFileSync } from 'node:fs'
import type { BrokerLogger } from '../broker-logger.js'

export const DESCRIPTORS_PER_PARTITION = 3
/** Sockets, the process's own files, the broker's files, a few closed segments. */
export const DESCRIPTOR_MARGIN = 256

/** The soft limit of open files, or undefined where it cannot be read (not Linux, unlimited). */
export const openFileSoftLimit = (limitsFile = '/proc/self/limits'): number | undefined => {
  let text: string
  try {
    text = readFileSync(limitsFile, 'utf8')
  } catch {
    return undefined
  }
  const match = /^Max open files\s+(\d+|unlimited)\s+/m.exec(text)
  if (match === null || match[1] === 'unlimited') return undefined
  return Number(match[1])
}

/** Descriptors `partitions` hosted partitions need, margin included. */
export const descriptorsNeeded = (partitions: number): number => partitions * DESCRIPTORS_PER_PARTITION + DESCRIPTOR_MARGIN

/** Warns through `logger` when the soft limit is below what the hosted partitions need; returns whether it warned. */
export const checkDescriptorLimit = (partitions: number, logger: BrokerLogger, softLimit = openFileSoftLimit()): boolean => {
  if (softLimit === undefined) return false
  const needed = descriptorsNeeded(partitions)
  if (softLimit >= needed) return false
  logger.warn(
    `the open-file limit (${softLimit}) is low for the ${partitions} partitions this broker hosts: they need about ${needed} ` +
      `(${DESCRIPTORS_PER_PARTITION} each plus ${DESCRIPTOR_MARGIN}); raise it (ulimit -n, LimitNOFILE=) or partitions will fail to open`,
    { softLimit, partitions, needed },
  )
  return true
}
