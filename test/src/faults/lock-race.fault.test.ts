// Many processes open one data directory at the same instant, round after round: on an empty
// directory, on one whose lock names a dead process (new and old lock format), and on one whose
// lock was just released. Exactly one must win each round; the others must name the winner.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const OPENERS = 6
const ROUNDS = 60
const CHILD = new URL('./children/lock-opener.mjs', import.meta.url).pathname

interface Opener {
  readonly child: ChildProcessWithoutNullStreams
  next(): Promise<string>
  send(line: string): void
}

const startOpener = (): Opener => {
  const child = spawn(process.execPath, [CHILD], { cwd: new URL('.', import.meta.url).pathname })
  const queued: string[] = []
  const waiting: Array<(line: string) => void> = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiting.shift()
    if (waiter !== undefined) waiter(line)
    else queued.push(line)
  })
  child.on('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter(`exited ${code} ${stderr}`)
  })
  return {
    child,
    next: () => {
      const line = queued.shift()
      if (line !== undefined) return Promise.resolve(line)
      if (child.exitCode !== null) return Promise.resolve(`exited ${child.exitCode} ${stderr}`)
      return new Promise((resolve) => waiting.push(resolve))
    },
    send: (line) => child.stdin.write(`${line}\n`),
  }
}

/** The pid of a process that has exited: a lock naming it is stale. */
const deadPid = (): number => {
  const result = spawnSync(process.execPath, ['-e', ''])
  return result.pid as number
}

type Setup = 'empty' | 'dead owner' | 'dead owner, old .lock format' | 'just released'

describe('the data-directory lock under simultaneous openers', () => {
  const root = mkdtempSync(join(tmpdir(), 'rivulet-lock-race-'))
  const openers: Opener[] = []

  beforeAll(async () => {
    for (let i = 0; i < OPENERS; i++) openers.push(startOpener())
    for (const opener of openers) expect(await opener.next()).toBe('ready')
    // Loading node and the core package takes seconds per child on a loaded machine.
  }, 120_000)

  afterAll(() => {
    for (const opener of openers) opener.send('exit')
    rmSync(root, { recursive: true, force: true })
  })

  it(`lets exactly one of ${OPENERS} processes in, ${ROUNDS} rounds`, async () => {
    const setups: Setup[] = ['empty', 'dead owner', 'dead owner, old .lock format', 'just released']
    let reused: string | undefined
    const outcomes: string[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const setup = setups[round % setups.length] as Setup
      let dir: string
      if (setup === 'just released' && reused !== undefined) {
        dir = reused
      } else {
        dir = join(root, `round-${round}`)
        mkdirSync(dir)
        if (setup === 'dead owner') writeFileSync(join(dir, '.lock.0'), `${deadPid()} ${randomBytes(16).toString('hex')}`)
        if (setup === 'dead owner, old .lock format') writeFileSync(join(dir, '.lock'), String(deadPid()))
      }
      const atMs = Date.now() + 30
      for (const opener of openers) opener.send(`try ${dir} ${atMs}`)
      const answers = await Promise.all(openers.map((opener) => opener.next()))
      const winners = answers.flatMap((answer, i) => (answer === 'won' ? [openers[i] as Opener] : []))
      const outcome = `round ${round} (${setup}): ${answers.join(', ')}`
      outcomes.push(outcome)
      expect(winners, outcome).toHaveLength(1)
      const winner = winners[0] as Opener
      // Every loser names the winner: none saw a lock of somebody else who also thinks it holds it.
      for (const answer of answers) if (answer !== 'won') expect(answer, outcome).toBe(`locked ${winner.child.pid}`)
      winner.send('release')
      expect(await winner.next()).toBe('released')
      reused = dir
    }
    expect(outcomes).toHaveLength(ROUNDS)
  })
})
