/**
 * `rivulet log repair <partition-dir> [--dry-run | --execute]`: the operator's way out of a
 * LogCorruptedError. The dry run (the default) reads the log and prints what the repair would do:
 * the damaged file and byte position, the offsets kept, the bytes moved aside and the offset the
 * next append will get. --execute does it (see repair.ts in packages/storage): damaged bytes go to
 * a side file beside the segment, never deleted. Exit codes: 0 nothing damaged or repaired, 1 an
 * error (nothing was changed), 2 damage found by a dry run.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type CleanupPolicy, lockDataDir, type LogRepairPlan, planLogRepair, repairLog } from '@rivulet/core/internal'
import { Command, InvalidArgumentError } from 'commander'
import type { Output } from '../output.js'
import type { Done } from './common.js'

interface RepairOptions {
  readonly dryRun: boolean
  readonly execute: boolean
  readonly cleanupPolicy: CleanupPolicy
  readonly json: boolean
}

const POLICIES: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete']

const parsePolicy = (value: string): CleanupPolicy => {
  if ((POLICIES as readonly string[]).includes(value)) return value as CleanupPolicy
  throw new InvalidArgumentError(`--cleanup-policy must be one of ${POLICIES.join(', ')}; got "${value}"`)
}

const jsonOf = (value: unknown): string => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))

const describePlan = (plan: LogRepairPlan, executed: boolean): string[] => {
  const damage = plan.damage
  if (damage === undefined) return [`${plan.dir}: no damage found; nothing to repair`]
  const verb = executed ? '' : 'would '
  return [
    `${damage.file}: damaged at byte ${damage.position}: ${damage.reason}`,
    `  ${verb}keep offsets [${damage.segmentBaseOffset}, ${damage.keptEndOffset}) of this segment`,
    damage.bytesMoved === 0
      ? `  no bytes to move (they are missing, not damaged); ${executed ? 'recorded' : 'would record'} the repair in the empty ${damage.sideFile}`
      : `  ${executed ? 'moved' : 'would move'} ${damage.bytesMoved} bytes from byte ${damage.position} to ${damage.sideFile}`,
    damage.startsSegmentAt === undefined
      ? `  the next offset stays ${damage.nextOffset} (${damage.nextOffsetReason})`
      : `  ${executed ? 'started' : 'would start'} a new segment at offset ${damage.startsSegmentAt}: the next append gets it (${damage.nextOffsetReason})`,
    executed ? '  indexes rebuilt; run the repair again to look for more damage' : '  run again with --execute to do it',
  ]
}

/**
 * Repairs with the data directory's lock held, when the partition is a broker's (its parent has
 * `__cluster/`): a running broker holds it, so the repair is refused rather than racing its appends.
 */
const repairHoldingDataDir = async (dir: string, options: RepairOptions): Promise<LogRepairPlan> => {
  const dataDir = dirname(dir)
  if (!existsSync(join(dataDir, '__cluster'))) return repairLog(dir, options)
  const lock = lockDataDir(dataDir)
  try {
    return await repairLog(dir, options)
  } finally {
    lock.release()
  }
}

export const logCommand = (output: Output, done: Done): Command => {
  const log = new Command('log').description('operator commands on a partition log directory (with the broker stopped)')
  log
    .command('repair')
    .description('cut a damaged log at its last good batch, moving the damaged bytes to a side file (dry run by default)')
    .argument('<partition-dir>', 'the partition directory, e.g. <data-dir>/<topic>-<partition>')
    .option('--dry-run', 'print what would be done, change nothing (the default)', false)
    .option('--execute', 'do it', false)
    .option('--cleanup-policy <policy>', "the topic's cleanup policy: under compact, closed segments may have gaps", parsePolicy, 'delete' as CleanupPolicy)
    .option('--json', 'print the plan as one JSON object', false)
    .action(async (dir: string, options: RepairOptions) => {
      if (options.dryRun && options.execute) {
        output.err('choose one of --dry-run and --execute')
        return done(1)
      }
      try {
        const plan = options.execute ? await repairHoldingDataDir(dir, options) : planLogRepair(dir, options)
        if (options.json) output.out(jsonOf({ ...plan, executed: options.execute }))
        else for (const line of describePlan(plan, options.execute)) output.out(line)
        done(plan.damage !== undefined && !options.execute ? 2 : 0)
      } catch (error) {
        output.err((error as Error).message)
        done(1)
      }
    })
  return log
}
