/**
 * `rivulet topic create|list|describe|delete`: the admin's topic operations on an embedded data
 * directory. Config values given as key=value are parsed as numbers, booleans or JSON when they
 * look like it; the broker decides whether they are valid and its error names the key.
 */
import type { TopicConfig } from '@rivulet/core'
import { Command, InvalidArgumentError } from 'commander'
import type { Output } from '../output.js'
import { type CommonOptions, type Done, jsonLine, parsePositiveInt, withCommonOptions, withRivulet } from './common.js'

/** `retentionMs=1000` -> ['retentionMs', 1000]; `flush=os` -> ['flush', 'os']. */
export const parseConfigEntry = (entry: string): readonly [string, unknown] => {
  const at = entry.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`--config expects key=value, got "${entry}"`)
  return [entry.slice(0, at), parseConfigValue(entry.slice(at + 1))]
}

const parseConfigValue = (text: string): unknown => {
  if (text === 'true' || text === 'false' || text === 'null') return JSON.parse(text)
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text)
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

const formatBytes = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024 ** 3).toFixed(1)} GiB`

interface CreateOptions extends CommonOptions {
  readonly partitions?: number
  readonly config: readonly (readonly [string, unknown])[]
}

export const topicCommand = (output: Output, done: Done): Command => {
  const topic = new Command('topic').description('create, list, describe and delete topics')

  withCommonOptions(
    topic
      .command('create')
      .description('create a topic')
      .argument('<name>', 'the topic name')
      .option('--partitions <n>', "how many partitions (default: the broker's defaultPartitions, as kafka-topics does)", parsePositiveInt('--partitions'))
      .option('--config <key=value>', 'a topic config override, e.g. retentionMs=3600000 (repeatable)', (entry: string, previous: readonly (readonly [string, unknown])[]) => [...previous, parseConfigEntry(entry)], []),
  ).action(async (name: string, options: CreateOptions) => {
    const config = Object.fromEntries(options.config) as TopicConfig
    done(
      await withRivulet(options, output, async (rv) => {
        const created = await rv.admin.createTopic(name, options.partitions === undefined ? { config } : { partitions: options.partitions, config })
        if (options.json) output.out(jsonLine({ name: created.name, partitions: created.partitionCount, config }))
        else output.out(`created topic "${created.name}" with ${created.partitionCount} partition${created.partitionCount === 1 ? '' : 's'}`)
      }),
    )
  })

  withCommonOptions(topic.command('list').description('list the topics')).action(async (options: CommonOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        for (const name of await rv.admin.listTopics()) output.out(options.json ? jsonLine({ name }) : name)
      }),
    )
  })

  withCommonOptions(topic.command('describe').description("a topic's config and partitions (log start/end offsets, size)").argument('<name>', 'the topic name')).action(
    async (name: string, options: CommonOptions) => {
      done(
        await withRivulet(options, output, async (rv) => {
          const description = await rv.admin.describeTopic(name)
          const partitions = description.partitions.map((p) => ({
            partition: p.partition,
            logStartOffset: p.logStartOffset,
            logEndOffset: p.logEndOffset,
            highWatermark: p.highWatermark,
            sizeBytes: p.sizeBytes,
            segmentCount: p.segmentCount,
          }))
          if (options.json) {
            output.out(jsonLine({ name: description.name, config: description.config, overrides: description.overrides, partitions }))
            return
          }
          const overrides = Object.entries(description.overrides).map(([key, value]) => `${key}=${JSON.stringify(value)}`)
          output.out(`topic ${description.name}  partitions ${partitions.length}  overrides ${overrides.length === 0 ? '(none)' : overrides.join(' ')}`)
          for (const p of partitions) {
            output.out(`  partition ${p.partition}  logStart ${p.logStartOffset}  logEnd ${p.logEndOffset}  size ${formatBytes(p.sizeBytes)}  segments ${p.segmentCount}`)
          }
        }),
      )
    },
  )

  withCommonOptions(topic.command('delete').description('delete a topic and its logs').argument('<name>', 'the topic name')).action(async (name: string, options: CommonOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        await rv.admin.deleteTopic(name)
        output.out(options.json ? jsonLine({ name, deleted: true }) : `deleted topic "${name}"`)
      }),
    )
  })

  return topic
}
