// End-to-end: topic administration through rv.admin — create, list, describe, delete, grow,
// configure — the typed errors for bad requests, and auto-creation on first produce.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, embedded, readRecords, tempDataDir } from './support.js'
import { rejectionOf } from '@rivulet/test-kit'

afterEach(cleanup)

describe('topic administration', () => {
  it('creates, lists and describes topics with each partition’s log start and end offsets', async () => {
    const rv = await embedded()
    const created = await rv.admin.createTopic('orders', { partitions: 3, config: { retentionMs: 3_600_000 } })
    expect(created.name).toBe('orders')
    expect(created.partitionCount).toBe(3)
    expect(created.partitionLeaders).toHaveLength(3)
    await rv.admin.createTopic('audit', { partitions: 1 })
    expect(await rv.admin.listTopics()).toEqual(['audit', 'orders'])

    const producer = rv.producer()
    await producer.send('orders', [
      { value: 'a', partition: 1 },
      { value: 'b', partition: 1 },
      { value: 'c', partition: 2 },
    ])
    const described = await rv.admin.describeTopic('orders')
    expect(described.name).toBe('orders')
    expect(described.overrides).toEqual({ retentionMs: 3_600_000 })
    expect(described.config.retentionMs).toBe(3_600_000)
    expect(described.config.flush).toBe('os') // the broker default the topic did not override
    expect(described.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset, p.highWatermark])).toEqual([
      [0, 0n, 0n, 0n],
      [1, 0n, 2n, 2n],
      [2, 0n, 1n, 1n],
    ])
    expect(described.partitions[1].sizeBytes).toBeGreaterThan(described.partitions[2].sizeBytes)
    expect(described.partitions[0].sizeBytes).toBe(0)
  })

  it('deletes a topic: its logs go, and a topic created again under the name starts empty', async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('gone', { partitions: 2 })
    await rv.producer().send('gone', { value: 'old', partition: 0 })
    expect(existsSync(join(dataDir, 'gone-0'))).toBe(true)

    await rv.admin.deleteTopic('gone')
    expect(await rv.admin.listTopics()).toEqual([])
    expect(existsSync(join(dataDir, 'gone-0'))).toBe(false)
    expect(existsSync(join(dataDir, 'gone-1'))).toBe(false)
    expect((await rejectionOf(rv.admin.describeTopic('gone')))._tag).toBe('UnknownTopicError')

    await rv.admin.createTopic('gone', { partitions: 1 })
    const again = await rv.admin.describeTopic('gone')
    expect(again.partitions.map((p) => p.logEndOffset)).toEqual([0n])
    const sent = await rv.producer().send('gone', { value: 'new' })
    expect(sent.offset).toBe(0n)
    expect((await readRecords(rv, 'gone', 1)).map((r) => r.value?.toString())).toEqual(['new'])
  })

  it('grows a topic with createPartitions and refuses to shrink it', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('grow', { partitions: 2 })
    const producer = rv.producer()
    await producer.send('grow', { value: 'before', partition: 1 })
    const grown = await rv.admin.createPartitions('grow', 4)
    expect(grown.partitionCount).toBe(4)
    const described = await rv.admin.describeTopic('grow')
    expect(described.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3])

    // The producer knew 2 partitions: a record for partition 3 makes it ask again.
    const sent = await producer.send('grow', { value: 'in the new partition', partition: 3 })
    expect(sent).toMatchObject({ partition: 3, offset: 0n })

    const shrink = await rejectionOf(rv.admin.createPartitions('grow', 3))
    expect(shrink._tag).toBe('InvalidPartitionCountError')
    expect(shrink.message).toContain('grow')
    expect(shrink.message).toContain('3')
    expect(shrink.message).toContain('can only grow')
    expect((await rv.admin.describeTopic('grow')).partitions).toHaveLength(4)
  })

  it('alters a topic’s config, and a null puts a setting back to the broker default', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('conf', { partitions: 2 })
    await rv.admin.alterTopicConfig('conf', { retentionMs: 60_000, segmentBytes: 4096 })
    let described = await rv.admin.describeTopic('conf')
    expect(described.overrides).toEqual({ retentionMs: 60_000, segmentBytes: 4096 })
    expect(described.config).toMatchObject({ retentionMs: 60_000, segmentBytes: 4096 })

    await rv.admin.alterTopicConfig('conf', { retentionMs: null })
    described = await rv.admin.describeTopic('conf')
    expect(described.overrides).toEqual({ segmentBytes: 4096 })
    expect(described.config.retentionMs).toBe(7 * 24 * 3_600_000)

    // The partitions really use the new segment size: 4 KiB segments roll.
    const producer = rv.producer({ lingerMs: 0 })
    for (let i = 0; i < 6; i++) await producer.send('conf', { value: 'x'.repeat(1500), partition: 0 })
    described = await rv.admin.describeTopic('conf')
    expect(described.partitions[0].segmentCount).toBeGreaterThan(1)
  })
})

describe('bad admin requests fail with typed errors naming what is wrong', () => {
  it('refuses invalid topic names, saying which rule they break', async () => {
    const rv = await embedded()
    const cases: [string, string][] = [
      ['', 'empty'],
      ['..', 'dot-name'],
      ['x'.repeat(250), 'too-long'],
      ['has space', 'illegal-character'],
      ['slash/name', 'illegal-character'],
    ]
    for (const [name, rule] of cases) {
      const error = await rejectionOf(rv.admin.createTopic(name, { partitions: 1 }))
      expect(error._tag).toBe('InvalidTopicNameError')
      expect((error as unknown as { rule: string }).rule).toBe(rule)
      expect(error.message).toContain(JSON.stringify(name))
    }
    expect(await rv.admin.listTopics()).toEqual([])
  })

  it('refuses a duplicate name and a name that collides through "." versus "_"', async () => {
    const rv = await embedded()
    await rv.admin.createTopic('a.b', { partitions: 1 })
    const duplicate = await rejectionOf(rv.admin.createTopic('a.b', { partitions: 2 }))
    expect(duplicate._tag).toBe('TopicExistsError')
    expect(duplicate.message).toBe('topic "a.b" already exists')
    const collision = await rejectionOf(rv.admin.createTopic('a_b', { partitions: 1 }))
    expect(collision._tag).toBe('TopicNameCollisionError')
    expect(collision.message).toContain('"a_b"')
    expect(collision.message).toContain('"a.b"')
    expect((await rv.admin.describeTopic('a.b')).partitions).toHaveLength(1)
  })

  it('refuses zero, negative and fractional partition counts', async () => {
    const rv = await embedded()
    for (const partitions of [0, -1, 1.5]) {
      const error = await rejectionOf(rv.admin.createTopic('p', { partitions }))
      expect(error._tag).toBe('InvalidPartitionCountError')
      expect(error.message).toContain(`invalid partition count ${partitions} for topic "p"`)
    }
    expect(await rv.admin.listTopics()).toEqual([])
  })

  it('answers UnknownTopicError for every request about a topic that does not exist', async () => {
    const rv = await embedded()
    const requests = [
      rv.admin.describeTopic('nope'),
      rv.admin.deleteTopic('nope'),
      rv.admin.createPartitions('nope', 2),
      rv.admin.alterTopicConfig('nope', { retentionMs: 1000 }),
      rv.admin.metadata('nope'),
    ]
    for (const request of requests) {
      const error = await rejectionOf(request)
      expect(error._tag).toBe('UnknownTopicError')
      expect(error.message).toBe('unknown topic "nope"')
    }
  })

  it('refuses an unknown config key or a bad value, naming the key; nothing changes', async () => {
    const rv = await embedded()
    const unknownKey = await rejectionOf(rv.admin.createTopic('c', { partitions: 1, config: { retentionMss: 5 } as never }))
    expect(unknownKey._tag).toBe('InvalidLogConfigError')
    expect(unknownKey.message).toContain('retentionMss')
    expect(await rv.admin.listTopics()).toEqual([])

    await rv.admin.createTopic('c', { partitions: 1, config: { retentionMs: 5000 } })
    const badValue = await rejectionOf(rv.admin.alterTopicConfig('c', { segmentBytes: -3 }))
    expect(badValue._tag).toBe('InvalidLogConfigError')
    expect(badValue.message).toContain('segmentBytes')
    expect(badValue.message).toContain('-3')
    expect((await rv.admin.describeTopic('c')).overrides).toEqual({ retentionMs: 5000 })
  })
})

describe('auto-creation on first produce', () => {
  it('creates an unknown topic with the default partition count when autoCreateTopics is on', async () => {
    const rv = await embedded({ autoCreateTopics: true, defaultPartitions: 3 })
    const sent = await rv.producer().send('fresh', { key: 'k', value: 'v' })
    expect(sent.topic).toBe('fresh')
    expect(sent.offset).toBe(0n)
    expect(await rv.admin.listTopics()).toEqual(['fresh'])
    expect((await rv.admin.describeTopic('fresh')).partitions).toHaveLength(3)
    expect((await readRecords(rv, 'fresh', 1)).map((r) => r.value?.toString())).toEqual(['v'])
  })

  it('fails the send with UnknownTopicError when autoCreateTopics is off (the default)', async () => {
    const rv = await embedded()
    const error = await rejectionOf(rv.producer().send('fresh', { value: 'v' }))
    expect(error._tag).toBe('UnknownTopicError')
    expect(error.message).toContain('"fresh"')
    expect(await rv.admin.listTopics()).toEqual([])
  })

  it('never auto-creates a topic for a consumer, even when autoCreateTopics is on', async () => {
    const rv = await embedded({ autoCreateTopics: true })
    const error = await rejectionOf(readRecords(rv, 'ghost', 1))
    expect(error._tag).toBe('UnknownTopicError')
    expect(await rv.admin.listTopics()).toEqual([])
  })
})
