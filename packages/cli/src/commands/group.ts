/**
 * `rivulet group list|describe|reset-offsets|delete`: the admin's consumer-group operations on an
 * embedded data directory. Resetting and deleting are refused by the coordinator while the group
 * has members; its error says so.
 */
import { Command, InvalidArgumentError } from 'commander'
import type { Output } from '../output.js'
import { type CommonOptions, type Done, jsonLine, parseOffsetSpec, parsePartition, withCommonOptions, withRivulet } from './common.js'
import { planReset, type ResetTarget } from './group-reset-plan.js'

interface ResetOptions extends CommonOptions {
  readonly topic: string
  readonly to?: 'earliest' | 'latest' | bigint
  readonly toEarliest?: boolean
  readonly toLatest?: boolean
  readonly toOffset?: bigint
  readonly shiftBy?: bigint
  readonly toDatetime?: number
  readonly partition?: number
  readonly dryRun?: boolean
  readonly execute?: boolean
}

const parseShift = (text: string): bigint => {
  if (!/^[+-]?\d+$/.test(text)) throw new InvalidArgumentError(`--shift-by expects a whole number of records (e.g. -10 or 5), got "${text}"`)
  return BigInt(text)
}

const parseExactOffset = (text: string): bigint => {
  const offset = parseOffsetSpec(text)
  if (typeof offset !== 'bigint') throw new InvalidArgumentError(`--to-offset expects an offset, got "${text}" (use --to-earliest or --to-latest)`)
  return offset
}

/**
 * kafka-consumer-groups' --to-datetime: an ISO 8601 date and time, as 2026-12-03T10:15:00.000
 * (local time) or with a zone (Z, +01:00).
 */
export const parseDatetime = (text: string): number => {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/
  const ms = iso.test(text) ? Date.parse(text) : Number.NaN
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError(`--to-datetime expects a date and time as YYYY-MM-DDTHH:mm:SS.sss (local time, or ending in Z or +HH:MM), got "${text}"`)
  }
  return ms
}

/** The one target the flags name, or why they do not. */
const targetOf = (options: ResetOptions): ResetTarget => {
  const targets: ResetTarget[] = []
  if (options.to !== undefined) targets.push(typeof options.to === 'bigint' ? { offset: options.to } : options.to)
  if (options.toEarliest === true) targets.push('earliest')
  if (options.toLatest === true) targets.push('latest')
  if (options.toOffset !== undefined) targets.push({ offset: options.toOffset })
  if (options.shiftBy !== undefined) targets.push({ shiftBy: options.shiftBy })
  if (options.toDatetime !== undefined) targets.push({ timestamp: options.toDatetime })
  if (targets.length !== 1) {
    throw new InvalidArgumentError(`${targets.length === 0 ? 'say' : 'say only once'} where the offsets go: --to-earliest, --to-latest, --to-offset <n>, --shift-by <n>, --to-datetime <time> (or --to earliest|latest|<n>)`)
  }
  return targets[0]!
}

const show = (offset: bigint | undefined): string => (offset === undefined ? '-' : offset.toString())

export const groupCommand = (output: Output, done: Done): Command => {
  const group = new Command('group').description('list, describe, reset and delete consumer groups')

  withCommonOptions(group.command('list').description('list the consumer groups and their state')).action(async (options: CommonOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        const groups = await rv.admin.listGroups()
        if (groups.length === 0) output.out(options.json ? '[]' : 'no consumer groups')
        for (const { groupId, state } of groups) output.out(options.json ? jsonLine({ groupId, state }) : `${groupId}  ${state}`)
      }),
    )
  })

  withCommonOptions(group.command('describe').description("a group's members and, per partition, its committed offset, log end and lag").argument('<id>', 'the group id')).action(
    async (groupId: string, options: CommonOptions) => {
      done(
        await withRivulet(options, output, async (rv) => {
          const description = await rv.admin.describeGroup(groupId)
          if (options.json) {
            output.out(jsonLine(description))
            return
          }
          output.out(`group ${description.groupId}  state ${description.state}  generation ${description.generation}  assignor ${description.assignor}  members ${description.members.length}`)
          if (description.members.length === 0) output.out('  no members')
          for (const member of description.members) {
            const held = member.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')
            output.out(`  member ${member.memberId}  client ${member.clientId}  partitions ${held === '' ? '(none)' : held}`)
          }
          if (description.offsets.length === 0) output.out('  no committed offsets')
          for (const p of description.offsets) {
            output.out(`  ${p.topic}-${p.partition}  committed ${show(p.committed)}  logEnd ${show(p.logEnd)}  lag ${show(p.lag)}`)
          }
        }),
      )
    },
  )

  withCommonOptions(
    group
      .command('reset-offsets')
      .description("move a group's committed offsets for a topic (the group must have no members); prints the plan, --execute commits it")
      .argument('<id>', 'the group id')
      .requiredOption('--topic <topic>', 'the topic whose offsets move')
      .option('--partition <n>', 'only this partition (default: every partition of the topic)', parsePartition)
      .option('--to-earliest', 'to the start of each log')
      .option('--to-latest', 'to the end of each log')
      .option('--to-offset <n>', 'to this offset (kept within each log)', parseExactOffset)
      .option('--shift-by <n>', 'by n records from the committed offset (negative goes back)', parseShift)
      .option('--to-datetime <time>', 'to the first record at or after this time (YYYY-MM-DDTHH:mm:SS.sss, local or with Z/+HH:MM)', parseDatetime)
      .option('--to <where>', 'earliest, latest or an offset (Rivulet\'s spelling of the above)', parseOffsetSpec)
      .option('--dry-run', 'print what would change (the default)')
      .option('--execute', 'commit the new offsets'),
  ).action(async (groupId: string, options: ResetOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        if (options.dryRun === true && options.execute === true) throw new InvalidArgumentError('--dry-run and --execute: give one (without either, a dry run)')
        const target = targetOf(options)
        if (!(await rv.admin.listGroups()).some((g) => g.groupId === groupId)) {
          throw new InvalidArgumentError(`unknown consumer group "${groupId}" (rivulet group list shows the groups; a group comes to exist when a consumer joins it)`)
        }
        const [topic, group] = await Promise.all([rv.admin.describeTopic(options.topic), rv.admin.describeGroup(groupId)])
        const committed = new Map(group.offsets.filter((p) => p.topic === options.topic).map((p) => [p.partition, p.committed]))
        if (options.partition !== undefined && !topic.partitions.some((p) => p.partition === options.partition)) {
          throw new InvalidArgumentError(`topic "${options.topic}" has partitions 0 to ${topic.partitions.length - 1}: there is no partition ${options.partition}`)
        }
        const atTimestamp =
          typeof target === 'object' && 'timestamp' in target
            ? new Map((await rv.admin.offsetsForTimestamp(options.topic, target.timestamp)).map((p) => [p.partition, p.offset]))
            : new Map<number, bigint>()
        const plan = topic.partitions
          .filter((p) => options.partition === undefined || p.partition === options.partition)
          .map((p) =>
            planReset(target, {
              partition: p.partition,
              logStartOffset: p.logStartOffset,
              logEndOffset: p.logEndOffset,
              committed: committed.get(p.partition),
              atTimestamp: atTimestamp.get(p.partition),
            }),
          )
        const execute = options.execute === true
        if (execute) {
          // One commit for every partition when they go to one place: a failure moves none of them.
          // A shift differs per partition, so it is one commit per distinct target.
          const byTarget = new Map<bigint, number[]>()
          for (const step of plan) byTarget.set(step.next, [...(byTarget.get(step.next) ?? []), step.partition])
          for (const [offset, partitions] of byTarget) await rv.admin.resetOffsets(groupId, { topic: options.topic, to: { offset }, partitions })
        }
        for (const step of plan) {
          if (step.clamped !== undefined) output.err(`${options.topic}-${step.partition}: offset ${step.requested} is outside the log, clamped to the ${step.clamped} ${step.next}`)
          if (options.json) output.out(jsonLine({ groupId, topic: options.topic, partition: step.partition, committed: step.committed, next: step.next, clamped: step.clamped ?? null, executed: execute }))
          else output.out(`${options.topic}-${step.partition}  committed ${show(step.committed)}  ->  ${step.next}`)
        }
        if (!options.json) output.out(execute ? `committed the new offsets of group "${groupId}"` : 'dry run: nothing changed (--execute commits these offsets)')
      }),
    )
  })

  withCommonOptions(group.command('delete').description('delete a group that has no members, with its committed offsets').argument('<id>', 'the group id')).action(
    async (groupId: string, options: CommonOptions) => {
      done(
        await withRivulet(options, output, async (rv) => {
          await rv.admin.deleteGroup(groupId)
          output.out(options.json ? jsonLine({ groupId, deleted: true }) : `deleted group "${groupId}"`)
        }),
      )
    },
  )

  return group
}
