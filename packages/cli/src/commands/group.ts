/**
 * `rivulet group list|describe|reset-offsets|delete`: the admin's consumer-group operations on an
 * embedded data directory. Resetting and deleting are refused by the coordinator while the group
 * has members; its error says so.
 */
import { Command } from 'commander'
import type { Output } from '../output.js'
import { type CommonOptions, type Done, jsonLine, parseOffsetSpec, withCommonOptions, withRivulet } from './common.js'

interface ResetOptions extends CommonOptions {
  readonly topic: string
  readonly to: 'earliest' | 'latest' | bigint
}

const show = (offset: bigint | undefined): string => (offset === undefined ? '-' : offset.toString())

export const groupCommand = (output: Output, done: Done): Command => {
  const group = new Command('group').description('list, describe, reset and delete consumer groups')

  withCommonOptions(group.command('list').description('list the consumer groups and their state')).action(async (options: CommonOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        for (const { groupId, state } of await rv.admin.listGroups()) output.out(options.json ? jsonLine({ groupId, state }) : `${groupId}  ${state}`)
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
          for (const member of description.members) {
            const held = member.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')
            output.out(`  member ${member.memberId}  client ${member.clientId}  partitions ${held === '' ? '(none)' : held}`)
          }
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
      .description("move a group's committed offsets for a topic (the group must have no members)")
      .argument('<id>', 'the group id')
      .requiredOption('--topic <topic>', 'the topic whose offsets move (every partition)')
      .requiredOption('--to <where>', 'earliest, latest or an offset (kept within the log)', parseOffsetSpec),
  ).action(async (groupId: string, options: ResetOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        const to = typeof options.to === 'bigint' ? { offset: options.to } : options.to
        const offsets = await rv.admin.resetOffsets(groupId, { topic: options.topic, to })
        for (const { topic, partition, offset } of offsets) {
          output.out(options.json ? jsonLine({ groupId, topic, partition, offset }) : `${topic}-${partition}  committed ${offset}`)
        }
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
