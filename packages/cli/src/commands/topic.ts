/**
 * `rivulet topic create|list|describe|delete`: the admin's topic operations on an embedded data
 * directory. Config values given as key=value are parsed as numbers, booleans or JSON when they
 * look like it; the broker decides whether they are valid and its error names the key.
 */
import type { TopicConfig } from '@rivulet/core'
import { Command, InvalidArgumentError } from 'commander'
import type { Output } from '../output.js'
import { readConfigFile } from './config-file.js'
import { parseConfigValue } from './config-value.js'
import { type CommonOptions, type Done, jsonLine, parsePositiveInt, topicFrom, withCommonOptions, withRivulet } from './common.js'

/** `retentionMs=1000` -> ['retentionMs', 1000]; `flush=os` -> ['flush', 'os']. */
export const parseConfigEntry = (entry: string): readonly [string, unknown] => {
  const at = entry.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`--config expects key=value, got "${entry}"`)
  return [entry.slice(0, at), parseConfigValue(entry.slice(at + 1))]
}


const formatBytes = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024 ** 3).toFixed(1)} GiB`

type ConfigEntries = readonly (readonly [string, unknown])[]

interface CreateOptions extends CommonOptions {
  readonly topic?: string
  readonly partitions?: number
  readonly config: ConfigEntries
  readonly configFile?: string
  readonly ifNotExists?: boolean
}

interface AlterOptions extends CommonOptions {
  readonly topic?: string
  readonly partitions?: number
  readonly config: ConfigEntries
  readonly configFile?: string
  readonly deleteConfig: readonly string[]
}

const configOption = (command: Command): Command =>
  command
    .option('--config <key=value>', "a topic config, Kafka's name or Rivulet's: retention.ms=3600000 or retentionMs=3600000 (repeatable)", (entry: string, previous: ConfigEntries) => [...previous, parseConfigEntry(entry)], [])
    .option('--config-file <file>', 'topic configs from a .properties file (key=value lines) or a JSON object')

/** --config-file's settings, then --config's over them. */
const configOf = (options: { readonly config: ConfigEntries; readonly configFile?: string }): TopicConfig =>
  Object.fromEntries([...(options.configFile === undefined ? [] : readConfigFile(options.configFile)), ...options.config]) as TopicConfig

const showConfig = (config: TopicConfig): string => Object.entries(config).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')

export const topicCommand = (output: Output, done: Done): Command => {
  /** The topic as `<name>` or kafka-topics' `--topic <name>`: one of them, or both the same. */
  const named =
    <O extends { readonly topic?: string }>(run: (name: string, options: O) => Promise<void>) =>
    async (positional: string | undefined, options: O): Promise<void> => {
      const named = topicFrom(positional, options.topic, 'give the topic name: as an argument or --topic <name>')
      if ('refusal' in named) return void (output.err(`error: ${named.refusal}`), done(1))
      await run(named.topic, options)
    }
  const nameArgument = (command: Command): Command => command.argument('[name]', 'the topic name (or --topic)').option('--topic <name>', "the topic name (kafka-topics' spelling)")

  const topic = new Command('topic').description('create, list, describe and delete topics')

  withCommonOptions(
    configOption(topic.command('create'))
      .description('create a topic')
      .argument('[name]', 'the topic name (or --topic)')
      .option('--topic <name>', "the topic name (kafka-topics' spelling)")
      .option('--partitions <n>', "how many partitions (default 1: the broker's defaultPartitions, Kafka's num.partitions)", parsePositiveInt('--partitions'))
      .option('--if-not-exists', 'a topic that exists already is not an error (it is left as it is)'),
  ).action(named(async (name: string, options: CreateOptions) => {
    done(
      await withRivulet(
        options,
        output,
        async (rv) => {
          const config = configOf(options)
          const existed = options.ifNotExists === true && (await rv.admin.listTopics()).includes(name)
          const created = await rv.admin.createTopic(name, { ...(options.partitions === undefined ? {} : { partitions: options.partitions }), config, ifNotExists: options.ifNotExists === true })
          if (options.json) output.out(jsonLine({ name: created.name, partitions: created.partitionCount, config, created: !existed }))
          else if (existed) output.out(`topic "${created.name}" exists already, with ${created.partitionCount} partition${created.partitionCount === 1 ? '' : 's'}: left as it is`)
          else output.out(`created topic "${created.name}" with ${created.partitionCount} partition${created.partitionCount === 1 ? '' : 's'}`)
        },
        { create: true },
      ),
    )
  }))

  withCommonOptions(
    configOption(
      topic
        .command('alter')
        .description("add partitions to a topic, or change its configs (kafka-topics --alter, kafka-configs --alter)")
        .argument('[name]', 'the topic name (or --topic)')
        .option('--topic <name>', "the topic name (kafka-topics' spelling)")
        .option('--partitions <n>', 'the new partition count (more than now: partitions are never removed)', parsePositiveInt('--partitions'))
        .option('--delete-config <key>', 'drop a config override, back to the broker default (repeatable)', (key: string, previous: readonly string[]) => [...previous, key], []),
    ),
  ).action(named(async (name: string, options: AlterOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        const changes: Record<string, unknown> = { ...configOf(options) }
        for (const key of options.deleteConfig) changes[key] = null
        if (options.partitions === undefined && Object.keys(changes).length === 0) {
          throw new InvalidArgumentError('nothing to alter: give --partitions, --config, --config-file or --delete-config')
        }
        const before = await rv.admin.describeTopic(name)
        if (options.partitions !== undefined && options.partitions < before.partitions.length) {
          throw new InvalidArgumentError(`topic "${name}" has ${before.partitions.length} partitions: partitions can be added, never removed (asked for ${options.partitions})`)
        }
        if (options.partitions !== undefined && options.partitions > before.partitions.length) await rv.admin.createPartitions(name, options.partitions)
        if (Object.keys(changes).length > 0) await rv.admin.alterTopicConfig(name, changes as TopicConfig)
        const after = await rv.admin.describeTopic(name)
        if (options.json) {
          output.out(jsonLine({ name, partitions: { before: before.partitions.length, after: after.partitions.length }, overrides: { before: before.overrides, after: after.overrides } }))
          return
        }
        if (after.partitions.length !== before.partitions.length) output.out(`topic "${name}": partitions ${before.partitions.length} -> ${after.partitions.length}`)
        else if (options.partitions !== undefined) output.out(`topic "${name}": already has ${after.partitions.length} partitions`)
        if (Object.keys(changes).length > 0) output.out(`topic "${name}": overrides ${showConfig(before.overrides) || '(none)'} -> ${showConfig(after.overrides) || '(none)'}`)
      }),
    )
  }))

  withCommonOptions(topic.command('list').description('list the topics')).action(async (options: CommonOptions) => {
    done(
      await withRivulet(options, output, async (rv) => {
        const names = await rv.admin.listTopics()
        if (names.length === 0) output.out(options.json ? '[]' : 'no topics')
        for (const name of names) output.out(options.json ? jsonLine({ name }) : name)
      }),
    )
  })

  withCommonOptions(nameArgument(topic.command('describe').description("a topic's config and partitions (log start/end offsets, size)"))).action(
    named(async (name: string, options: CommonOptions & { readonly topic?: string }) => {
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
    }),
  )

  withCommonOptions(nameArgument(topic.command('delete').description('delete a topic and its logs'))).action(named(async (name: string, options: CommonOptions & { readonly topic?: string }) => {
    done(
      await withRivulet(options, output, async (rv) => {
        await rv.admin.deleteTopic(name)
        output.out(options.json ? jsonLine({ name, deleted: true }) : `deleted topic "${name}"`)
      }),
    )
  }))

  return topic
}
