/** Runs the CLI in-process against temporary data directories, capturing what it prints. */
import { Readable } from 'node:stream'
import { tempDir } from '@rivulet/test-kit'
import type { Output } from '../output.js'
import { runCli } from '../program.js'

export interface Run {
  readonly code: number
  readonly out: string[]
  readonly err: string[]
  /** Everything written to stdout, newlines included. */
  readonly stdout: string
  /** `out` parsed as JSON lines. */
  readonly json: Record<string, unknown>[]
}

export interface RunOptions {
  /** What the command reads as its input (stdin): text, bytes, or bytes in the chunks given. */
  readonly stdin?: string | Buffer | readonly Buffer[]
  readonly interrupt?: AbortSignal
  readonly onOut?: (line: string) => void
}

/** A fresh data directory, removed after the test; `rivulet(...args)` runs against it. */
export const useDataDir = () => {
  return () => {
    const dataDir = tempDir('cli')
    const rivulet = async (args: readonly string[], options: RunOptions = {}): Promise<Run> => {
      const out: string[] = []
      const err: string[] = []
      let stdout = ''
      const output: Output = {
        out: (line) => {
          out.push(line)
          stdout += `${line}\n`
          options.onOut?.(line)
        },
        write: (text) => {
          stdout += text
          for (const line of text.split('\n').slice(0, -1)) out.push(line)
        },
        err: (line) => err.push(line),
        input: Readable.from(options.stdin === undefined ? [] : Array.isArray(options.stdin) ? options.stdin : [options.stdin]),
        ...(options.interrupt === undefined ? {} : { interrupt: options.interrupt }),
      }
      const code = await runCli([...args, '--data-dir', dataDir], output)
      const json = code === 0 && args.includes('--json') ? out.map((line) => JSON.parse(line) as Record<string, unknown>) : []
      return { code, out, err, stdout, json }
    }
    return { dataDir, rivulet }
  }
}
