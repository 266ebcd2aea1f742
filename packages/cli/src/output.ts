/**
 * What a command talks to: the terminal in `main`, buffers in tests. Lines go out through
 * `out`/`err`; `input` is what `produce` reads when no --value is given; `interrupt` ends a
 * `consume` that has no --max-messages (main leaves it unset: consume then listens for SIGINT).
 */
import { fstatSync } from 'node:fs'

export interface Output {
  out(line: string): void
  /** Text to stdout exactly as given, no newline added (consume -f); without it, out() is used. */
  readonly write?: (text: string) => void
  err(line: string): void
  readonly input?: NodeJS.ReadableStream
  readonly interrupt?: AbortSignal
  /** Where progress bars go: stderr when it is a terminal, else nothing. */
  readonly progress?: NodeJS.WritableStream
  /** The size of the input when it is a regular file (`produce < file`), for the bar's ETA. */
  readonly inputBytes?: number
}

/** stdin's size when it is a regular file (`< file`); undefined for a pipe or a terminal. */
const stdinFileBytes = (): number | undefined => {
  try {
    const stat = fstatSync(0)
    return stat.isFile() ? stat.size : undefined
  } catch {
    return undefined
  }
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
  err: (line) => process.stderr.write(`${line}\n`),
  // A getter: process.stdin is only opened by the command that reads it.
  get input() {
    return process.stdin
  },
  // No bar on a piped stderr, nor over the lines of someone typing records into a terminal.
  get progress() {
    return process.stderr.isTTY === true && process.stdin.isTTY !== true ? process.stderr : undefined
  },
  get inputBytes() {
    return stdinFileBytes()
  },
}
