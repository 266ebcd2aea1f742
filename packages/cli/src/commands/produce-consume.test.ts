import { describe, expect, it } from 'vitest'
import { useDataDir } from '../test-support/cli.js'

const fresh = useDataDir()

const withTopic = async (partitions: number) => {
  const cli = fresh()
  expect((await cli.rivulet(['topic', 'create', 'orders', '--partitions', String(partitions)])).code).toBe(0)
  return cli
}

describe('rivulet produce and consume', () => {
  it('produces one record from --value and reads it back with its key, partition, offset and timestamp', async () => {
    const { rivulet } = await withTopic(1)
    const before = Date.now()
    const produced = await rivulet(['produce', 'orders', '--key', 'u1', '--value', 'hello', '--json'])
    expect(produced.json).toEqual([{ topic: 'orders', partition: 0, offset: '0', timestamp: expect.any(Number) }])
    expect((await rivulet(['produce', 'orders', '--value', 'again'])).out).toEqual(['produced 1 record to "orders"'])

    const consumed = await rivulet(['consume', 'orders', '--from', 'earliest', '--max-messages', '2', '--json'])
    expect(consumed.code).toBe(0)
    expect(consumed.json).toEqual([
      { topic: 'orders', partition: 0, offset: '0', timestamp: produced.json[0]!.timestamp, key: 'u1', value: 'hello', headers: [] },
      { topic: 'orders', partition: 0, offset: '1', timestamp: expect.any(Number), key: null, value: 'again', headers: [] },
    ])
    expect(consumed.json[0]!.timestamp as number).toBeGreaterThanOrEqual(before)
    const human = await rivulet(['consume', 'orders', '--from', '1', '--max-messages', '1'])
    expect(human.out).toEqual([expect.stringMatching(/^partition=0 offset=1 timestamp=\d+ key=null value=again$/)])
  })

  it('produces stdin line by line, splitting keys at --key-separator, and keyed records keep their partition', async () => {
    const { rivulet } = await withTopic(3)
    const lines = ['u1:a', 'u2:b', 'u1:c:d', 'u3:', 'u2:e']
    const produced = await rivulet(['produce', 'orders', '--key-separator', ':', '--json'], { stdin: `${lines.join('\n')}\n` })
    expect(produced.code).toBe(0)
    expect(produced.json).toHaveLength(5)
    const partitionOf = (n: number) => produced.json[n]!.partition
    expect(partitionOf(2)).toBe(partitionOf(0))
    expect(partitionOf(4)).toBe(partitionOf(1))

    const consumed = await rivulet(['consume', 'orders', '--from', 'earliest', '--max-messages', '5', '--json'])
    const seen = consumed.json.map(({ key, value, partition, offset }) => ({ key, value, partition, offset }))
    const expected = [
      { key: 'u1', value: 'a' },
      { key: 'u2', value: 'b' },
      { key: 'u1', value: 'c:d' },
      { key: 'u3', value: '' },
      { key: 'u2', value: 'e' },
    ].map((record, n) => ({ ...record, partition: produced.json[n]!.partition, offset: produced.json[n]!.offset }))
    const order = (a: { partition: unknown; offset: unknown }, b: { partition: unknown; offset: unknown }) =>
      (a.partition as number) - (b.partition as number) || Number(a.offset) - Number(b.offset)
    expect(seen.sort(order)).toEqual(expected.sort(order))
  })

  it('counts lines without --json, gives every line --key, keeps a \\r before the \\n, and names a line without the separator', async () => {
    const { rivulet } = await withTopic(1)
    expect((await rivulet(['produce', 'orders', '--key', 'k'], { stdin: 'one\r\ntwo\n\nthree' })).out).toEqual(['produced 4 records to "orders"'])
    const consumed = await rivulet(['consume', 'orders', '--from', 'earliest', '--max-messages', '4', '--json'])
    expect(consumed.json.map(({ key, value }) => [key, value])).toEqual([['k', 'one\r'], ['k', 'two'], ['k', ''], ['k', 'three']])

    const bad = await rivulet(['produce', 'orders', '--key-separator', '\\t'], { stdin: 'a\tb\nno tab here\nc\td\n' })
    expect(bad.code).toBe(1)
    expect(bad.err).toEqual([
      'error: line 2: no key separator 0x09 ("\\t") in the line',
      'stopped at line 2 (--continue-on-error goes past a failed line); produced 1 record to "orders"',
    ])
  })

  it('fails with one line for an unknown topic, and refuses --from <offset> with --group', async () => {
    const { rivulet } = await withTopic(1)
    for (const args of [['produce', 'nope', '--value', 'x'], ['consume', 'nope', '--max-messages', '1']]) {
      const run = await rivulet(args)
      expect([run.code, run.err]).toEqual([1, ['error: unknown topic "nope"']])
    }
    const mixed = await rivulet(['consume', 'orders', '--group', 'g', '--from', '3', '--max-messages', '1'])
    expect(mixed.code).toBe(1)
    expect(mixed.err[0]).toMatch(/--from <offset> cannot be used with it/)
    expect((await rivulet(['consume', 'orders', '--from', 'yesterday'])).code).toBe(1)
  })

  it('without --max-messages, consumes until interrupted and then closes cleanly', async () => {
    const { rivulet } = await withTopic(1)
    await rivulet(['produce', 'orders'], { stdin: 'a\nb\nc\n' })
    const interrupt = new AbortController()
    const consumed = await rivulet(['consume', 'orders', '--from', 'earliest', '--json'], {
      interrupt: interrupt.signal,
      onOut: (line) => {
        if (line.includes('"value":"c"')) interrupt.abort()
      },
    })
    expect(consumed.code).toBe(0)
    expect(consumed.json.map(({ value }) => value)).toEqual(['a', 'b', 'c'])
    // Closed cleanly: the data directory is free again.
    expect((await rivulet(['topic', 'list'])).code).toBe(0)
  })
})
