// Each file of `__cluster/` deleted, truncated and garbled between two opens: the topics, their
// records, the group's committed offsets and the producers' ids come back intact (the registry is
// rebuilt from the partition directories, producer ids start above every id on disk), or the
// open is refused naming the file at fault. Nothing is ever silently deleted or answered twice.
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BrokerLogger, type EmbeddedOptions, type Rivulet } from '@rivulet/core'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, embedded, readRecords, tempDataDir } from '../e2e/support.js'
import { rejectionOf } from '@rivulet/test-kit'

afterEach(cleanup)

interface Logged {
  readonly level: 'warn' | 'error'
  readonly message: string
}
const recording = (): BrokerLogger & { readonly lines: Logged[] } => {
  const lines: Logged[] = []
  return { lines, warn: (message) => lines.push({ level: 'warn', message }), error: (message) => lines.push({ level: 'error', message }) }
}

const open = (dataDir: string, logger: BrokerLogger, options: Partial<EmbeddedOptions> = {}): Promise<Rivulet> =>
  embedded({ dataDir, logger, offsetsTopicPartitions: 2, ...options })

type Damage = 'deleted' | 'truncated' | 'garbled'
const damages: Damage[] = ['deleted', 'truncated', 'garbled']
const damage = (file: string, how: Damage): void => {
  if (how === 'deleted') rmSync(file)
  else if (how === 'truncated') truncateSync(file, Math.floor(readFileSync(file).length / 2))
  else {
    const bytes = readFileSync(file)
    bytes[Math.floor(bytes.length / 3)] ^= 0x5a
    writeFileSync(file, bytes)
  }
}

const registryOf = (dataDir: string) => join(dataDir, '__cluster', 'topics.json')
const producerIdsOf = (dataDir: string) => join(dataDir, '__cluster', 'producer-ids.json')

/** A data directory with a topic of 3 partitions, 6 records, an override and a group's committed offsets. */
const populated = async (): Promise<string> => {
  const dataDir = tempDataDir()
  const rv = await open(dataDir, recording())
  await rv.admin.createTopic('orders', { partitions: 3, config: { retentionMs: 86_400_000 } })
  const producer = rv.producer({ lingerMs: 0 })
  for (let n = 0; n < 6; n++) await producer.send('orders', { partition: n % 3, value: `v${n}` })
  await rv.admin.resetOffsets('billing', { topic: 'orders', to: { offset: 1 } })
  await rv.close()
  return dataDir
}

const committed = async (rv: Rivulet) =>
  (await rv.admin.describeGroup('billing')).offsets.map((offset) => [offset.partition, offset.committed]).sort()

describe('a damaged or lost topics.json', () => {
  for (const how of damages) {
    it(`${how}: is rebuilt from the partition directories; records, config and committed offsets intact, loudly`, async () => {
      const dataDir = await populated()
      damage(registryOf(dataDir), how)
      const logger = recording()
      const rv = await open(dataDir, logger)
      expect(await rv.admin.listTopics()).toEqual(['orders'])
      expect((await rv.admin.describeTopic('orders')).overrides).toEqual({ retentionMs: 86_400_000 })
      const values = (await readRecords(rv, 'orders', 6)).map((record) => record.value?.toString()).sort()
      expect(values).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
      expect(await committed(rv)).toEqual([
        [0, 1n],
        [1, 1n],
        [2, 1n],
      ])
      const told = logger.lines.filter((line) => line.level === 'error' && line.message.includes(registryOf(dataDir)))
      expect(told).toHaveLength(1)
      expect(told[0]?.message).toContain('rebuilt')
      // Recreating the topic is refused, not a reason to wipe its logs.
      expect((await rejectionOf(rv.admin.createTopic('orders', { partitions: 3 })))._tag).toBe('TopicExistsError')
      await rv.close()
      // Written again: the next open is quiet.
      const quiet = recording()
      const again = await open(dataDir, quiet)
      expect(await again.admin.listTopics()).toEqual(['orders'])
      expect(quiet.lines).toEqual([])
    })
  }

  it('with a partition directory holding records but no metadata: refuses, naming the file, and deletes nothing', async () => {
    const dataDir = await populated()
    const metadata = join(dataDir, 'orders-1', 'partition.metadata')
    const saved = readFileSync(metadata)
    rmSync(registryOf(dataDir))
    rmSync(metadata)
    const before = readdirSync(join(dataDir, 'orders-1')).sort()
    const error = await rejectionOf(open(dataDir, recording()))
    expect(error._tag).toBe('RegistryRebuildError')
    expect(error).toMatchObject({ file: metadata, registry: registryOf(dataDir) })
    expect(error.message).toContain('Restore')
    expect(readdirSync(join(dataDir, 'orders-1')).sort()).toEqual(before)
    // Put back, it opens with everything.
    writeFileSync(metadata, saved)
    const rv = await open(dataDir, recording())
    expect(await readRecords(rv, 'orders', 6)).toHaveLength(6)
  })

  it('with partition directories that disagree (another topic id): refuses naming the file', async () => {
    const dataDir = await populated()
    rmSync(registryOf(dataDir))
    const metadata = join(dataDir, 'orders-2', 'partition.metadata')
    const content = JSON.parse(readFileSync(metadata, 'utf8'))
    writeFileSync(metadata, JSON.stringify({ ...content, topicId: 'someone-else' }))
    const error = await rejectionOf(open(dataDir, recording()))
    expect(error._tag).toBe('RegistryRebuildError')
    expect(error).toMatchObject({ file: metadata })
  })
})

describe('a damaged or lost producer-ids.json', () => {
  for (const how of damages) {
    it(`${how}: a new producer's records are written, not answered as duplicates of an old producer's`, async () => {
      const dataDir = tempDataDir()
      const first = await open(dataDir, recording())
      await first.admin.createTopic('t', { partitions: 1 })
      const old = first.producer({ lingerMs: 0 })
      const acknowledged = []
      for (let n = 0; n < 3; n++) acknowledged.push((await old.send('t', { value: `old${n}` })).offset)
      expect(acknowledged).toEqual([0n, 1n, 2n])
      await first.close()
      damage(producerIdsOf(dataDir), how)
      const logger = recording()
      const second = await open(dataDir, logger)
      const fresh = second.producer({ lingerMs: 0 })
      const offsets = []
      for (let n = 0; n < 3; n++) offsets.push((await fresh.send('t', { value: `new${n}` })).offset)
      expect(offsets).toEqual([3n, 4n, 5n])
      expect((await readRecords(second, 't', 6)).map((record) => record.value?.toString())).toEqual(['old0', 'old1', 'old2', 'new0', 'new1', 'new2'])
      expect(logger.lines.filter((line) => line.level === 'error' && line.message.includes(producerIdsOf(dataDir)))).toHaveLength(1)
    })
  }
})

describe('both files lost at once', () => {
  it('brings back topics, records, offsets, and producer ids above the old ones', async () => {
    const dataDir = await populated()
    rmSync(registryOf(dataDir))
    rmSync(producerIdsOf(dataDir))
    const rv = await open(dataDir, recording())
    expect(await committed(rv)).toEqual([
      [0, 1n],
      [1, 1n],
      [2, 1n],
    ])
    const sent = await rv.producer({ lingerMs: 0 }).send('orders', { partition: 0, value: 'after' })
    expect(sent.offset).toBe(2n)
  })
})
