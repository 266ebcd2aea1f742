import { execFile } from 'node:child_process'
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { beforeEach, describe, expect, it } from 'vitest'
import { InvalidLogConfigError } from '../errors.js'
import { Log } from '../log.js'
import { encodeRecordBatch } from '../record-batch/encoder.js'
import { tempDir, thrownBy } from '@rivulet/test-kit'
import { SegmentFileCache } from './segment-file-cache.js'

let dir: string
beforeEach(() => {
  dir = tempDir('fd-cache')
})

const config = { flush: 'os', segmentMs: -1, retentionMs: -1, segmentBytes: 1 << 20 } as const

/** Descriptors this process holds on files under `under` (Linux: /proc/self/fd). */
const descriptorsUnder = (under: string): number => {
  let count = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(under)) count++
    } catch {
      // closed between the listing and the readlink
    }
  }
  return count
}
const hasProcFd = process.platform === 'linux'

/** One batch per segment, `segments` closed ones and the active one; returns each batch's bytes by base offset. */
const buildLog = async (log: Log, segments: number): Promise<Buffer[]> => {
  const batches: Buffer[] = []
  for (let i = 0; i <= segments; i++) {
    const batch = encodeRecordBatch([{ key: Buffer.from(`k${i}`), value: Buffer.alloc(100 + i, i), timestamp: i }])
    await log.append(batch)
    batches.push(Buffer.from(batch))
    if (i < segments) await log.roll()
  }
  await log.flush()
  return batches
}

describe('SegmentFileCache', () => {
  it('keeps at most its limit of closed-segment files open, and every segment still reads back exactly', async () => {
    const cache = new SegmentFileCache(5)
    const log = await Log.open(dir, config, { fileCache: cache })
    const batches = await buildLog(log, 40)
    expect(log.segmentCount).toBe(41)
    const check = (which: Log) => {
      expect(cache.openFileCount).toBeLessThanOrEqual(5)
      // The active segment's .log, .index and .timeindex, plus the cached closed .logs.
      expect(which.openFileCount).toBeLessThanOrEqual(3 + 5)
      if (hasProcFd) expect(descriptorsUnder(dir)).toBe(which.openFileCount)
    }
    check(log)
    for (let round = 0; round < 2; round++) {
      for (const [i, batch] of batches.entries()) {
        const { bytes } = await log.read(BigInt(i), { maxBytes: 1 })
        expect(bytes).toEqual(batch)
      }
      check(log)
    }
    await log.close()
    expect(cache.openFileCount).toBe(0)
    if (hasProcFd) expect(descriptorsUnder(dir)).toBe(0)

    // Opening a log of many closed segments stays within the bound too.
    const reopened = await Log.open(dir, config, { fileCache: cache })
    check(reopened)
    for (const [i, batch] of batches.entries()) expect((await reopened.read(BigInt(i), { maxBytes: 1 })).bytes).toEqual(batch)
    check(reopened)
    await reopened.close()
  })

  it('serves reads of two logs sharing a one-file cache while flushes, rolls and appends interleave', async () => {
    const cache = new SegmentFileCache(1)
    const logs = [await Log.open(join(dir, 'a'), config, { fileCache: cache }), await Log.open(join(dir, 'b'), config, { fileCache: cache })]
    const contents = [await buildLog(logs[0]!, 12), await buildLog(logs[1]!, 12)]
    const work: Array<Promise<void>> = []
    for (let n = 0; n < 300; n++) {
      const which = n % 2
      const log = logs[which]!
      const offset = (n * 7) % 13
      work.push(log.read(BigInt(offset), { maxBytes: 1 }).then(({ bytes }) => expect(bytes).toEqual(contents[which]![offset])))
      // Closed-segment fsyncs under way while the cache closes their descriptors for other reads.
      if (n % 50 === 0) work.push(log.flush(), log.roll())
    }
    await Promise.all(work)
    expect(cache.openFileCount).toBeLessThanOrEqual(1)
    for (const log of logs) {
      for (const [i, batch] of contents[logs.indexOf(log)]!.entries()) expect((await log.read(BigInt(i), { maxBytes: 1 })).bytes).toEqual(batch)
      await log.close()
    }
    if (hasProcFd) expect(descriptorsUnder(dir)).toBe(0)
  })

  it('opens nothing for reads when warm; lowering the limit closes files now; the limit must be a whole number of at least 1', async () => {
    const cache = new SegmentFileCache(50)
    const log = await Log.open(dir, config, { fileCache: cache })
    const batches = await buildLog(log, 20)
    for (let i = 0; i < 20; i++) await log.read(BigInt(i), { maxBytes: 1 })
    expect(cache.openFileCount).toBe(20)
    // A warm cache serves reads without opening anything.
    const opened = cache.filesOpened
    for (let round = 0; round < 3; round++) for (let i = 0; i < 20; i++) await log.read(BigInt(i), { maxBytes: 1 })
    expect(cache.filesOpened).toBe(opened)
    cache.maxOpenFiles = 3
    expect(cache.openFileCount).toBe(3)
    if (hasProcFd) expect(descriptorsUnder(dir)).toBe(3 + 3)
    expect((await log.read(0n, { maxBytes: 1 })).bytes).toEqual(batches[0])
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(thrownBy(() => (cache.maxOpenFiles = bad))).toBeInstanceOf(InvalidLogConfigError)
      expect(() => new SegmentFileCache(bad)).toThrow(/maxOpenFiles/)
    }
    expect(SegmentFileCache.shared.maxOpenFiles).toBe(1_000)
    await log.close()
  })
})

const storageSrc = fileURLToPath(new URL('..', import.meta.url))
const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url))

// 256, not less: Node's module loader reads many files at once while the child starts, and under
// 64 it ran out itself now and then, before the test began (seen in CI).
const CHILD_FD_LIMIT = 256

describe.runIf(process.platform === 'linux')(`running out of file descriptors (a child process with ulimit -n ${CHILD_FD_LIMIT})`, () => {
  it('gives back idle closed-segment descriptors, then fails with TooManyOpenFilesError naming the file', async () => {
    const seed = await Log.open(join(dir, 'many'), config)
    // More closed segments than the child has descriptors.
    const batches = await buildLog(seed, CHILD_FD_LIMIT + 100)
    await seed.close()
    const script = join(dir, 'child.mts')
    writeFileSync(
      script,
      `
import { closeSync, openSync } from 'node:fs'
import { Log, SegmentFileCache, TooManyOpenFilesError } from ${JSON.stringify(join(storageSrc, 'index.ts'))}
const [many, other] = process.argv.slice(2)
const config = ${JSON.stringify(config)}
// Load what opening a log and building the error load lazily (modules), while descriptors are free.
await (await Log.open(other + '-warm-up', config)).close()
String(new TooManyOpenFilesError({ file: 'warm-up', code: 'EMFILE', openSegmentFiles: 0, maxOpenSegmentFiles: 1 }))
// Far more segments than descriptors: the cache's limit is above the process's.
const cache = new SegmentFileCache(1000)
const log = await Log.open(many, config, { fileCache: cache })
const lengths = []
for (let i = 0n; i < log.logEndOffset; i++) lengths.push((await log.read(i, { maxBytes: 1 })).bytes.length)
const cachedAtTheLimit = cache.openFileCount
cache.maxOpenFiles = 10
const hogs = []
try { for (;;) hogs.push(openSync('/dev/null', 'r')) } catch (error) { if (error.code !== 'EMFILE') throw error }
// Every descriptor is taken: reads of closed segments go on by closing idle cached ones.
const again = []
for (let i = 0n; i < log.logEndOffset; i += 7n) again.push((await log.read(i, { maxBytes: 1 })).bytes.length)
// One descriptor free, and a log with a cache of its own, which has nothing to give back: its
// directory lists and its new .log opens, then an index cannot.
closeSync(hogs.pop())
const failure = await Log.open(other, config, { fileCache: new SegmentFileCache(10) }).then(() => undefined, (error) => error)
// The failed open gave its descriptor back.
closeSync(openSync('/dev/null', 'r'))
console.log(JSON.stringify({ cachedAtTheLimit, hogs: hogs.length, lengths, again, failure: failure instanceof TooManyOpenFilesError ? { tag: failure._tag, file: failure.file, code: failure.code, message: failure.message } : String(failure) }))
`,
    )
    const run = promisify(execFile)
    const { stdout } = await run('sh', ['-c', `ulimit -n ${CHILD_FD_LIMIT} && exec "$0" "$@"`, tsx, script, join(dir, 'many'), join(dir, 'other')], {
      cwd: dir,
    })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!)
    expect(result.lengths).toEqual(batches.map((b) => b.length))
    // The cache filled what the process allows, under its own limit of 1,000, and gave back on EMFILE.
    expect(result.cachedAtTheLimit).toBeGreaterThan(10)
    expect(result.cachedAtTheLimit).toBeLessThan(CHILD_FD_LIMIT)
    expect(result.hogs).toBeGreaterThan(0)
    expect(result.again).toEqual(batches.filter((_, i) => i % 7 === 0).map((b) => b.length))
    expect(result.failure).toMatchObject({ tag: 'TooManyOpenFilesError', code: 'EMFILE' })
    expect(result.failure.file).toMatch(new RegExp(`^${join(dir, 'other')}/0{20}\\.(index|timeindex)$`))
    expect(result.failure.message).toContain(result.failure.file)
  }, 60_000)
})
