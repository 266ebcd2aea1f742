import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../program.js'
import { Rivulet } from '@rivulet/core'
import { describe, expect, it } from 'vitest'
import { useDataDir } from '../test-support/cli.js'
import { parseConfigEntry } from './topic.js'

const fresh = useDataDir()

describe('rivulet topic', () => {
  it('creates, lists, describes and deletes topics', async () => {
    const { rivulet } = fresh()
    expect((await rivulet(['topic', 'create', 'orders', '--partitions', '3', '--config', 'retentionMs=3600000', '--config', 'cleanupPolicy=compact'])).out).toEqual([
      'created topic "orders" with 3 partitions',
    ])
    expect((await rivulet(['topic', 'create', 'audit', '--partitions', '1', '--json'])).json).toEqual([{ name: 'audit', partitions: 1, config: {}, created: true }])
    expect((await rivulet(['topic', 'list'])).out).toEqual(['audit', 'orders'])
    expect((await rivulet(['topic', 'list', '--json'])).json).toEqual([{ name: 'audit' }, { name: 'orders' }])

    const described = await rivulet(['topic', 'describe', 'orders', '--json'])
    expect(described.json).toHaveLength(1)
    expect(described.json[0]).toMatchObject({ name: 'orders', overrides: { retentionMs: 3600000, cleanupPolicy: 'compact' }, config: { retentionMs: 3600000 } })
    expect(described.json[0]!.partitions).toEqual(
      [0, 1, 2].map((partition) => ({ partition, logStartOffset: '0', logEndOffset: '0', highWatermark: '0', sizeBytes: 0, segmentCount: 1 })),
    )
    const human = await rivulet(['topic', 'describe', 'orders'])
    expect(human.out[0]).toBe('topic orders  partitions 3  overrides retentionMs=3600000 cleanupPolicy="compact"')
    expect(human.out.slice(1)).toEqual([0, 1, 2].map((n) => `  partition ${n}  logStart 0  logEnd 0  size 0 B  segments 1`))

    expect((await rivulet(['topic', 'delete', 'orders'])).out).toEqual(['deleted topic "orders"'])
    expect((await rivulet(['topic', 'list'])).out).toEqual(['audit'])
  })

  it('names what is wrong: an unknown config key, a bad value, an unknown topic, an existing one', async () => {
    const { rivulet } = fresh()
    const badKey = await rivulet(['topic', 'create', 'orders', '--partitions', '1', '--config', 'retentionHours=3'])
    expect(badKey.code).toBe(1)
    expect(badKey.err).toHaveLength(1)
    expect(badKey.err[0]).toMatch(/^error: invalid log config retentionHours=3: unknown setting/)
    const badValue = await rivulet(['topic', 'create', 'orders', '--partitions', '1', '--config', 'segmentBytes=-5'])
    expect(badValue.code).toBe(1)
    expect(badValue.err[0]).toMatch(/^error: invalid log config segmentBytes=-5/)
    expect((await rivulet(['topic', 'list'])).out).toEqual(['no topics'])

    const unknown = await rivulet(['topic', 'describe', 'nope'])
    expect([unknown.code, unknown.err]).toEqual([1, ['error: unknown topic "nope"']])
    expect((await rivulet(['topic', 'create', 'orders', '--partitions', '1'])).code).toBe(0)
    const again = await rivulet(['topic', 'create', 'orders', '--partitions', '2'])
    expect(again.code).toBe(1)
    expect(again.err[0]).toMatch(/orders/)
  })

  it('leaves bad usage to commander: a non-numeric --partitions, a --config without =', async () => {
    const { rivulet } = fresh()
    for (const args of [['topic', 'create', 'orders', '--partitions', 'many'], ['topic', 'create', 'orders', '--partitions', '1', '--config', 'flush']]) {
      const run = await rivulet(args)
      expect(run.code).toBe(1)
      expect(run.err.join('\n')).toMatch(/--partitions|--config/)
    }
    // Nothing was created: the directory still holds no Rivulet data.
    expect((await rivulet(['topic', 'list'])).err).toEqual([expect.stringMatching(/^error: no Rivulet data directory at /)])
  })

  it('without --partitions creates the broker default (1), as kafka-topics does', async () => {
    const { rivulet } = fresh()
    expect((await rivulet(['topic', 'create', 'orders', '--config', 'retentionMs=1000'])).out).toEqual(['created topic "orders" with 1 partition'])
  })

  it('reports a data directory another Rivulet holds, and leaves it usable once released', async () => {
    const { dataDir, rivulet } = fresh()
    const holder = await Rivulet.embedded({ dataDir })
    try {
      const locked = await rivulet(['topic', 'list'])
      expect(locked.code).toBe(1)
      expect(locked.err).toEqual([`error: data directory ${dataDir} is in use by process ${process.pid}`])
    } finally {
      await holder.close()
    }
    // A failed command releases the lock too.
    expect((await rivulet(['topic', 'describe', 'nope'])).code).toBe(1)
    expect((await rivulet(['topic', 'list'])).code).toBe(0)
  })

  it('parses config values as numbers, booleans and JSON when they look like them', () => {
    expect(parseConfigEntry('retentionMs=1000')).toEqual(['retentionMs', 1000])
    expect(parseConfigEntry('flush=os')).toEqual(['flush', 'os'])
    expect(parseConfigEntry('x=true')).toEqual(['x', true])
    expect(parseConfigEntry('x=null')).toEqual(['x', null])
    expect(parseConfigEntry('x={"a":1}')).toEqual(['x', { a: 1 }])
    expect(parseConfigEntry('x={oops')).toEqual(['x', '{oops'])
    expect(parseConfigEntry('x=a=b')).toEqual(['x', 'a=b'])
    expect(parseConfigEntry('x=')).toEqual(['x', ''])
    expect(() => parseConfigEntry('=3')).toThrow(/key=value/)
  })
})

describe('rivulet topic, Kafka habits and a typo in --data-dir', () => {
  it('creates with one partition by default and Kafka config names, --if-not-exists, and --config-file', async () => {
    const { dataDir, rivulet } = fresh()
    expect((await rivulet(['topic', 'create', 'orders', '--config', 'retention.ms=60000'])).out).toEqual(['created topic "orders" with 1 partition'])
    expect((await rivulet(['topic', 'create', 'orders', '--partitions', '4', '--if-not-exists'])).out).toEqual(['topic "orders" exists already, with 1 partition: left as it is'])
    const file = join(dataDir, 'audit.properties')
    writeFileSync(file, '# audit topic\ncleanup.policy=compact\nsegment.bytes = 1048576\n')
    expect((await rivulet(['topic', 'create', 'audit', '--config-file', file])).code).toBe(0)
    const audit = await rivulet(['topic', 'describe', 'audit', '--json'])
    expect(audit.json[0]!.overrides).toEqual({ cleanupPolicy: 'compact', segmentBytes: 1048576 })
    writeFileSync(file, 'cleanup.policy=compact\nnot a setting\n')
    const garbage = await rivulet(['topic', 'create', 'other', '--config-file', file])
    expect([garbage.code, garbage.err]).toEqual([1, [`error: --config-file ${file} line 2: expected key=value, got "not a setting"`]])
  })

  it('alters partitions and configs, refusing a decrease, and says what changed', async () => {
    const { rivulet } = fresh()
    await rivulet(['topic', 'create', 'orders', '--partitions', '2', '--config', 'retentionMs=60000'])
    expect((await rivulet(['topic', 'alter', 'orders', '--partitions', '3'])).out).toEqual(['topic "orders": partitions 2 -> 3'])
    const configs = await rivulet(['topic', 'alter', 'orders', '--config', 'segment.bytes=1048576', '--delete-config', 'retentionMs'])
    expect(configs.out).toEqual(['topic "orders": overrides retentionMs=60000 -> segmentBytes=1048576'])
    const fewer = await rivulet(['topic', 'alter', 'orders', '--partitions', '1'])
    expect([fewer.code, fewer.err]).toEqual([1, ['error: topic "orders" has 3 partitions: partitions can be added, never removed (asked for 1)']])
    expect((await rivulet(['topic', 'alter', 'orders'])).err[0]).toMatch(/nothing to alter/)
    // kafka-topics' --topic works for every topic command.
    expect((await rivulet(['topic', 'describe', '--topic', 'orders', '--json'])).json[0]!.name).toBe('orders')
    expect((await rivulet(['topic', 'delete', '--topic', 'orders', 'other'])).err).toEqual(['error: two topics given: "other" and --topic "orders"'])
    expect((await rivulet(['topic', 'delete', '--topic', 'orders'])).out).toEqual(['deleted topic "orders"'])
  })

  it('read-only commands on a missing data directory fail by name and create nothing; a file there is refused too', async () => {
    const { dataDir, rivulet } = fresh()
    const typo = join(dataDir, 'typo')
    for (const args of [['topic', 'list'], ['group', 'list'], ['topic', 'describe', 'x'], ['consume', 'x', '-e'], ['produce', 'x', '--value', 'v']]) {
      const run = await runCli([...args, '--data-dir', typo], silent())
      expect(run).toBe(1)
    }
    expect(existsSync(typo)).toBe(false)
    const file = join(dataDir, 'a-file')
    writeFileSync(file, 'x')
    const errors: string[] = []
    expect(await runCli(['topic', 'create', 'orders', '--data-dir', file], { out: () => undefined, err: (line) => errors.push(line) })).toBe(1)
    expect(errors).toEqual([`error: no Rivulet data directory at ${file}: it is a file, not a directory`])
    const told: string[] = []
    expect(await runCli(['topic', 'list', '--data-dir', typo], { out: () => undefined, err: (line) => told.push(line) })).toBe(1)
    expect(told).toEqual([`error: no Rivulet data directory at ${typo}`])
    const remote = await rivulet(['topic', 'list', '--bootstrap-server', 'localhost:9092'])
    expect([remote.code, remote.err[0]]).toEqual([1, expect.stringMatching(/--bootstrap-server localhost:9092: this rivulet works on an embedded data directory/)])
  })
})

const silent = () => ({ out: () => undefined, err: () => undefined })
