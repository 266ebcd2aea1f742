/**
 * What a command talks to: the terminal in `main`, buffers in tests. Lines go out through
 * `out`/`err`; `input` is what `produce` reads when no --value is given; `interrupt` ends a
 * `consume` that has no --max-messages (main leaves it unset: consume then listens for SIGINT).
 */
export interface Output {
  out(line: string): void
  err(line: string): void
  readonly input?: NodeJS.ReadableStream
  readonly interrupt?: AbortSignal
  /** Where progress bars go: stderr when it is a terminal, else nothing. */
  readonly progress?: NodeJS.WritableStream
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  // A getter: process.stdin is only opened by the command that reads it.
  get input() {
    return process.stdin
  },
  get progress() {
    return process.stderr.isTTY ? process.stderr : undefined
  },
}
