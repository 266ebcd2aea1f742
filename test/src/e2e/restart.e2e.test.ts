// End-to-end: closing and reopening a Rivulet on the same data directory mid-stream loses nothing
// acknowledged, moves no offset and reuses no producer id; topics and configs come back. Also the
// data-directory lock: a second open at once fails, a lock left by a dead process is taken over.
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { processed, type RecordMetadata } from '@rivulet/core'
import { firstValueFrom, take, timeout, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { batchesOnDisk, cleanup, embedded, readRecords, tempDataDir } from './support.js'
import { rejectionOf } from '@rivulet/test-kit'

afterEach(cleanup)

const CHUNKS = 20
const CHUNK_SIZE = 50

const producerIdsOnDisk = (dataDir: string, topic: string, partitions: number): bigint[] =>
  Array.from({ length: partitions }, (_, p) => batchesOnDisk(dataDir, topic, p).map((b) => b.producerId)).flat()

describe('close and reopen mid-stream', () => {
  it('keeps every acknowledged record exactly once at its offset, and producing goes on after it', async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('stream', { partitions: 3, config: { segmentBytes: 2048, retentionMs: 86_400_000 } })
    await rv.admin.createTopic('side', { partitions: 2 })
    await rv.admin.alterTopicConfig('side', { retentionMs: 3_600_000, cleanupPolicy: 'compact,delete' })

    const producer = rv.producer({ lingerMs: 2 })
    const acknowledged = new Map<string, RecordMetadata>()
    const refusals: unknown[] = []
    const sends: Promise<void>[] = []
    let closing: Promise<void> | undefined
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      const records = Array.from({ length: CHUNK_SIZE }, (_, i) => {
        const n = chunk * CHUNK_SIZE + i
        return { key: `key-${n % 17}`, value: `record-${n}` }
      })
      const sent = producer.send('stream', records).then(
        (metadata) => metadata.forEach((m, i) => acknowledged.set(records[i].value, m)),
        (error: unknown) => void refusals.push(error),
      )
      sends.push(sent)
      if (chunk < 8) await sent // these are acknowledged before the close begins
      if (chunk === 12) closing = rv.close() // chunks 8 to 12 are still in flight
    }
    await closing
    await Promise.all(sends)
    // Close flushed what was in flight. Sends made after close began are either delivered
    // (close stops consumers before it flushes producers, so a consume-produce pipeline can
    // finish) or refused with ClosedError, a whole send at a time: never lost in between.
    for (let n = 0; n < 13 * CHUNK_SIZE; n++) expect(acknowledged.has(`record-${n}`)).toBe(true)
    expect(acknowledged.size + refusals.length * CHUNK_SIZE).toBe(CHUNKS * CHUNK_SIZE)
    expect(acknowledged.size % CHUNK_SIZE).toBe(0)
    for (const refusal of refusals) expect(refusal).toMatchObject({ _tag: 'ClosedError' })
    const idsBefore = producerIdsOnDisk(dataDir, 'stream', 3)

    const reopened = await embedded({ dataDir })
    expect(await reopened.admin.listTopics()).toEqual(['side', 'stream'])
    const stream = await reopened.admin.describeTopic('stream')
    expect(stream.overrides).toEqual({ segmentBytes: 2048, retentionMs: 86_400_000 })
    expect(stream.partitions.reduce((n, p) => n + p.segmentCount, 0)).toBeGreaterThan(3)
    const side = await reopened.admin.describeTopic('side')
    expect(side.overrides).toEqual({ retentionMs: 3_600_000, cleanupPolicy: 'compact,delete' })
    expect(side.partitions).toHaveLength(2)

    const perPartition = [0, 1, 2].map((p) => [...acknowledged.values()].filter((m) => m.partition === p).length)
    expect(stream.partitions.map((p) => p.logEndOffset)).toEqual(perPartition.map(BigInt))

    const stored = await readRecords(reopened, 'stream', acknowledged.size)
    const seen = new Set<string>()
    for (const record of stored) {
      const value = record.value!.toString()
      expect(seen.has(value)).toBe(false)
      seen.add(value)
      expect({ partition: record.partition, offset: record.offset }).toEqual({
        partition: acknowledged.get(value)?.partition,
        offset: acknowledged.get(value)?.offset,
      })
    }
    expect(seen.size).toBe(acknowledged.size)

    // Producing goes on at the next offsets, under a producer id never given out before.
    const next = reopened.producer()
    const after = await next.send('stream', [0, 1, 2].map((partition) => ({ value: `after-${partition}`, partition })))
    expect(after.map((m) => m.offset)).toEqual(perPartition.map(BigInt))
    const newIds = producerIdsOnDisk(dataDir, 'stream', 3).filter((id) => !idsBefore.includes(id))
    expect(newIds).toHaveLength(3)
    expect(newIds[0]).toBeGreaterThan(idsBefore.reduce((a, b) => (a > b ? a : b)))
  })

  it('lets a consumer closed mid-stream resume after its last processed records, missing none', async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('feed', { partitions: 2 })
    const producer = rv.producer({ lingerMs: 1 })
    const acknowledged: RecordMetadata[] = []
    // Half-way the producer waits for the reader to have 300 records; the close comes at that
    // moment, with the producer sending again: mid-stream, however fast either side runs.
    let readEnough!: () => void
    const enoughRead = new Promise<void>((resolve) => (readEnough = resolve))
    const producing = (async () => {
      for (let n = 0; n < 2000; n += 20) {
        if (n === 1000) await enoughRead
        const batch = Array.from({ length: 20 }, (_, i) => ({ key: `k${(n + i) % 7}`, value: `m${n + i}` }))
        acknowledged.push(...(await producer.send('feed', batch).catch(() => [])))
      }
    })()
    const firstRun: string[] = []
    const resumeAt = [0n, 0n]
    const consumer = rv.consumer({ fetchMaxWaitMs: 20 })
    const reading = new Promise<void>((resolve, reject) =>
      consumer
        .subscribe('feed', { from: 'earliest' })
        .pipe(processed())
        .subscribe({
          next: (record) => {
            firstRun.push(record.value!.toString())
            resumeAt[record.partition] = record.offset + 1n
            if (firstRun.length === 300) readEnough()
          },
          error: reject,
          complete: resolve,
        }),
    )
    await enoughRead
    await rv.close()
    await Promise.all([producing, reading])
    expect(acknowledged.length).toBeLessThan(2000) // the close did come mid-stream

    const reopened = await embedded({ dataDir })
    const remaining = acknowledged.length - firstRun.length
    const secondRun =
      remaining === 0
        ? []
        : await firstValueFrom(
            reopened
              .consumer()
              .assign([0, 1].map((partition) => ({ topic: 'feed', partition, offset: resumeAt[partition] })))
              .pipe(take(remaining), toArray(), timeout(5_000)),
          )
    const all = [...firstRun, ...secondRun.map((r) => r.value!.toString())]
    expect(new Set(all).size).toBe(all.length)
    expect(all.length).toBe(acknowledged.length)
    expect(acknowledged.length).toBeGreaterThanOrEqual(300)
  })

  it('brings back a topic grown with createPartitions and reads across restarts in order', async () => {
    const dataDir = tempDataDir()
    let rv = await embedded({ dataDir })
    await rv.admin.createTopic('grown', { partitions: 1 })
    await rv.producer().send('grown', [{ value: 'a' }, { value: 'b' }])
    await rv.admin.createPartitions('grown', 3)
    await rv.producer().send('grown', { value: 'c', partition: 2 })
    await rv.close()

    rv = await embedded({ dataDir })
    expect((await rv.admin.describeTopic('grown')).partitions.map((p) => p.logEndOffset)).toEqual([2n, 0n, 1n])
    await rv.producer().send('grown', { value: 'd', partition: 0 })
    await rv.close()

    rv = await embedded({ dataDir })
    const records = await readRecords(rv, 'grown', 4)
    expect(records.filter((r) => r.partition === 0).map((r) => [r.offset, r.value?.toString()])).toEqual([
      [0n, 'a'],
      [1n, 'b'],
      [2n, 'd'],
    ])
    expect(records.filter((r) => r.partition === 2).map((r) => r.value?.toString())).toEqual(['c'])
  })
})

describe('the data-directory lock', () => {
  it('refuses a second open of the same directory at once with DataDirLockedError', async () => {
    const dataDir = tempDataDir()
    const first = await embedded({ dataDir })
    await first.admin.createTopic('t', { partitions: 1 })
    const error = await rejectionOf(embedded({ dataDir }))
    expect(error._tag).toBe('DataDirLockedError')
    expect(error).toMatchObject({ dataDir, ownerPid: process.pid })
    expect(error.message).toContain(dataDir)
    // The first is unharmed, and once it is closed the directory opens again.
    expect((await first.producer().send('t', { value: 'still here' })).offset).toBe(0n)
    await first.close()
    const second = await embedded({ dataDir })
    expect((await readRecords(second, 't', 1)).map((r) => r.value?.toString())).toEqual(['still here'])
  })

  it('a broker file that cannot be read nor rebuilt fails the open naming the file, and leaves the directory unlocked', async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('t', { partitions: 1 })
    await rv.producer().send('t', { value: 'kept' })
    await rv.close()
    const registry = join(dataDir, '__cluster', 'topics.json')
    const metadata = join(dataDir, 't-0', 'partition.metadata')
    const good = readFileSync(metadata)
    writeFileSync(registry, '{ "version": 1, "topics": [ {')
    rmSync(metadata)
    const error = await rejectionOf(embedded({ dataDir }))
    expect(error._tag).toBe('RegistryRebuildError')
    expect(error.message).toContain(metadata)
    expect(error.message).toContain(registry)
    const locks = readdirSync(dataDir).filter((name) => name.startsWith('.lock'))
    expect(locks.map((name) => readFileSync(join(dataDir, name), 'utf8'))).toEqual(['released'])
    writeFileSync(metadata, good)
    expect(await (await embedded({ dataDir })).admin.listTopics()).toEqual(['t'])
  })

  it('takes over a lock left by a process that is gone', async () => {
    const dataDir = tempDataDir()
    const gone = spawnSync(process.execPath, ['-e', '']).pid
    writeFileSync(join(dataDir, '.lock'), String(gone))
    const rv = await embedded({ dataDir })
    expect(await rv.admin.listTopics()).toEqual([])
  })
})

describe('a broker process killed mid-stream', () => {
  const coreEntry = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../../packages/core/dist/index.js')).href

  it('keeps every record it acknowledged; the next open takes over its lock', async () => {
    const dataDir = tempDataDir()
    // The child acknowledges records one send at a time and prints each offset; it is killed
    // with SIGKILL (no close, no flush) once it has printed enough.
    const script = join(tempDataDir(), 'child.mjs')
    writeFileSync(
      script,
      `import { Rivulet } from ${JSON.stringify(coreEntry)}
const rv = await Rivulet.embedded({ dataDir: process.argv[2] })
await rv.admin.createTopic('killed', { partitions: 2 })
const producer = rv.producer({ lingerMs: 0 })
for (let n = 0; ; n++) {
  const m = await producer.send('killed', { key: 'k' + (n % 5), value: 'v' + n })
  process.stdout.write(m.partition + ' ' + m.offset + ' v' + n + '\\n')
}
`,
    )
    const acknowledged = await new Promise<string[]>((resolve, reject) => {
      const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
      const lines: string[] = []
      let pending = ''
      child.stdout.on('data', (chunk: Buffer) => {
        const parts = (pending + chunk.toString()).split('\n')
        pending = parts.pop()!
        lines.push(...parts)
        if (lines.length >= 200 && child.exitCode === null && !child.killed) child.kill('SIGKILL')
      })
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(lines) : reject(new Error(`child exited without being killed (${signal})`))))
      child.on('error', reject)
    })

    const rv = await embedded({ dataDir })
    const described = await rv.admin.describeTopic('killed')
    const total = described.partitions.reduce((n, p) => n + Number(p.logEndOffset), 0)
    expect(total).toBeGreaterThanOrEqual(acknowledged.length)
    const stored = await readRecords(rv, 'killed', total)
    const at = new Map(stored.map((r) => [r.value!.toString(), `${r.partition} ${r.offset}`]))
    for (const line of acknowledged) {
      const [partition, offset, value] = line.split(' ')
      expect(at.get(value)).toBe(`${partition} ${offset}`)
    }
    expect(new Set(stored.map((r) => r.value?.toString())).size).toBe(stored.length)

    // The killed broker's producer id is never handed out again.
    const killedIds = producerIdsOnDisk(dataDir, 'killed', 2)
    expect(new Set(killedIds).size).toBe(1)
    await rv.producer().send('killed', { value: 'after', partition: 0 })
    const [newId] = producerIdsOnDisk(dataDir, 'killed', 2).filter((id) => !killedIds.includes(id))
    expect(newId).toBeGreaterThan(killedIds[0])
  })
})
