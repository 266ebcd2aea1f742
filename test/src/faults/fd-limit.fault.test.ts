// A broker under a low open-file limit (a child run with `prlimit --nofile=N:N`): topics are
// created until the descriptors run out. Each creation either succeeds with every partition
// usable (a record produced to each) or fails with TopicCreationFailedError (EMFILE) leaving
// nothing behind; nothing hangs; reopening under the same limit brings every created topic back
// with a warning about the limit and no storm of error lines.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, tempDataDir } from '../e2e/support.js'

afterEach(cleanup)

const CHILD = new URL('./children/fd-limit-broker.mjs', import.meta.url).pathname
// Enough for node to load the packages (its module loader opens many files at once) and a few
// dozen partitions of 3 descriptors each.
const OPEN_FILE_LIMIT = 400

interface ChildResult {
  readonly mode: string
  readonly created: string[]
  readonly failures: { readonly topic: string; readonly tag: string; readonly code: string | undefined; readonly message: string }[]
  readonly produced: number
  readonly read: number
  readonly logged: string[]
}

const runChild = (mode: 'create' | 'reopen', dataDir: string): Promise<{ result: ChildResult; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn('prlimit', [`--nofile=${OPEN_FILE_LIMIT}:${OPEN_FILE_LIMIT}`, process.execPath, CHILD, mode, dataDir], {
      cwd: new URL('.', import.meta.url).pathname,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child ${mode} exited with ${code}: ${stderr}`))
      resolve({ result: JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildResult, stderr })
    })
  })

describe('a broker out of file descriptors', () => {
  it('creates each topic whole or not at all, and reopens every created topic quietly', async () => {
    const dataDir = tempDataDir()
    const { result: created, stderr: createErr } = await runChild('create', dataDir)
    expect(created.created.length).toBeGreaterThan(0)
    // The limit was reached: the child stops after three failures in a row.
    expect(created.failures.length).toBeGreaterThanOrEqual(3)
    for (const failure of created.failures) {
      expect(failure).toMatchObject({ tag: 'TopicCreationFailedError', code: 'EMFILE' })
      expect(failure.message).toContain('nothing of it was kept')
    }
    expect(created.produced).toBe(4 * created.created.length)
    expect(createErr).not.toContain('[rivulet]')
    // Nothing of a failed topic stayed on disk.
    const failedTopics = new Set(created.failures.map((failure) => failure.topic))
    expect(readdirSync(dataDir).filter((name) => failedTopics.has(name.replace(/-\d+$/, '')))).toEqual([])

    const { result: reopened, stderr: reopenErr } = await runChild('reopen', dataDir)
    expect([...reopened.created].sort()).toEqual([...created.created].sort())
    expect(reopened.produced).toBe(created.created.length)
    // The 4 records of the first run and the one of this run, in every topic.
    expect(reopened.read).toBe(5 * created.created.length)
    expect(reopened.logged).toHaveLength(1)
    expect(reopened.logged[0]).toContain(`open-file limit (${OPEN_FILE_LIMIT}) is low`)
    expect(reopenErr).not.toContain('[rivulet]')
    expect(readdirSync(join(dataDir, '__cluster')).sort()).toEqual(['.reserved-space', 'producer-ids.json', 'topics.json'])
  })
})
