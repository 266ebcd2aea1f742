/** The `rivulet` command line: one subcommand per file in commands/. */
import { createRequire } from 'node:module'
import { Command, CommanderError } from 'commander'
import { consumeCommand } from './commands/consume/consume.js'
import { dumpLog } from './commands/dump-log.js'
import { groupCommand } from './commands/group.js'
import { logCommand } from './commands/log-repair.js'
import { perfCommand } from './commands/perf/perf-command.js'
import { produceCommand } from './commands/produce.js'
import { topicCommand } from './commands/topic.js'
import type { Output } from './output.js'

/** The version of the installed @rivulet/cli package: its package.json sits one level above dist/ and src/. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { readonly version: string }).version

/** Runs the command line `argv` (without node and script) and resolves with the exit code. */
export const runCli = async (argv: readonly string[], output: Output): Promise<number> => {
  let exitCode = 0
  const program = new Command('rivulet')
    .description('Rivulet: an event-streaming platform with Kafka\'s model')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })

  program
    .command('dump-log')
    .description('print the record batches of a partition log directory (read-only)')
    .argument('<dir>', 'the partition directory, holding <20-digit offset>.log segment files')
    .option('--records', 'print every record, not only the batch headers', false)
    .option('--json', 'one JSON object per line', false)
    .action((dir: string, options: { records: boolean; json: boolean }) => {
      exitCode = dumpLog(dir, options, output)
    })

  const done = (code: number) => {
    exitCode = code
  }
  for (const command of [topicCommand(output, done), produceCommand(output, done), consumeCommand(output, done), groupCommand(output, done), logCommand(output, done), perfCommand(output, done)]) {
    program.addCommand(command)
  }
  // addCommand does not pass exitOverride and the output on; without them a usage error would exit the process.
  const inherit = (parent: Command): void => {
    for (const child of parent.commands) {
      child.copyInheritedSettings(parent)
      inherit(child)
    }
  }
  inherit(program)

  try {
    await program.parseAsync([...argv], { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode
    throw error
  }
  return exitCode
}
