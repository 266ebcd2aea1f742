// Issue 8, items 3 and 4: a consume that reaches the end can exit (-e, --timeout-ms), says on
// stderr when it waits, and takes Kafka's and kcat's flags.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useDataDir } from '../../test-support/cli.js'

const fresh = useDataDir()

const withRecords = async (partitions: number, lines: string) => {
  const cli = fresh()
  expect((await cli.rivulet(['topic', 'create', 'orders', '--partitions', String(partitions)])).code).toBe(0)
  expect((await cli.rivulet(['produce', 'orders', '--key-separator', ':'], { stdin: lines })).code).toBe(0)
  return cli
}

describe('rivulet consume', () => {
  it('-e exits at the end with fewer records than --max-messages, on every partition, and with --group', async () => {
    const { rivulet } = await withRecords(3, 'a:1\nb:2\nc:3\n')
    const all = await rivulet(['consume', 'orders', '--from', 'earliest', '--max-messages', '10', '-e', '--json'])
    expect(all.code).toBe(0)
    expect(all.json.map((r) => r.value).sort()).toEqual(['1', '2', '3'])
    const group = await rivulet(['consume', 'orders', '--group', 'billing', '--from-beginning', '--exit-at-end', '--json'])
    expect([group.code, group.json.length]).toEqual([0, 3])
    // The group committed what it printed: read again it is at its end at once.
    const again = await rivulet(['consume', 'orders', '--group', 'billing', '-e'])
    expect([again.code, again.out, again.err]).toEqual([0, [], ['orders: nothing to read, every partition is at its end']])
  })

  it('--timeout-ms exits after that long without a record, saying so', async () => {
    const { rivulet } = await withRecords(1, 'a:1\n')
    const run = await rivulet(['consume', 'orders', '--from-beginning', '--timeout-ms', '200'])
    expect(run.code).toBe(0)
    expect(run.out).toHaveLength(1)
    expect(run.err.at(-1)).toBe('orders: no record for 200 ms; exiting (--timeout-ms)')
  })

  it('says on stderr when it waits at the end, and when a start offset is past it', async () => {
    const { rivulet } = await withRecords(1, 'a:1\nb:2\n')
    const interrupt = new AbortController()
    const atEnd = await rivulet(['consume', 'orders', '--from', 'earliest'], {
      interrupt: interrupt.signal,
      onOut: (line) => {
        if (line.includes('value=2')) setImmediate(() => interrupt.abort())
      },
    })
    expect(atEnd.err).toEqual(['orders: read every partition to its end; waiting for new records (-e exits at the end, Ctrl-C stops)'])
    const past = await rivulet(['consume', 'orders', '--from', '50', '--timeout-ms', '100'])
    expect(past.err[0]).toBe('orders [0]: offset 50 is past the end (2); reading from the end as new records arrive')
  })

  it("reads one partition from kcat's offsets: an offset, beginning, end and -N from the end", async () => {
    const { rivulet } = await withRecords(2, 'a:1\na:2\na:3\na:4\n')
    const partition = String(((await rivulet(['consume', 'orders', '--from-beginning', '-e', '--json'])).json[0] as { partition: number }).partition)
    const values = async (...flags: string[]) => (await rivulet(['consume', 'orders', '-p', partition, ...flags, '-e', '--json'])).json.map((r) => r.value)
    expect(await values('-o', '2')).toEqual(['3', '4'])
    expect(await values('-o', 'beginning')).toEqual(['1', '2', '3', '4'])
    expect(await values('-o', '-1')).toEqual(['4'])
    expect(await values('-o', 'end')).toEqual([])
    const missing = await rivulet(['consume', 'orders', '-p', '7', '-e'])
    expect([missing.code, missing.err]).toEqual([1, ['error: topic "orders" has partitions 0 to 1: there is no partition 7']])
    const both = await rivulet(['consume', 'orders', '--from', 'earliest', '--offset', '1', '-e'])
    expect(both.err).toEqual(['error: --from and --offset both say where to start: give one'])
  })

  it('prints headers, and a kcat format string; an unknown token is refused by name', async () => {
    const cli = fresh()
    await cli.rivulet(['topic', 'create', 'orders'])
    await cli.rivulet(['produce', 'orders', '--key', 'k1', '--value', 'v1', '-H', 'source=web', '-H', 'trace=7'])
    const human = await cli.rivulet(['consume', 'orders', '--from-beginning', '-e'])
    expect(human.out).toEqual([expect.stringMatching(/^partition=0 offset=0 timestamp=\d+ key=k1 value=v1 headers=source=web,trace=7$/)])
    const formatted = await cli.rivulet(['consume', 'orders', '--from-beginning', '-e', '-f', '%t %p %o %k %s %K %S %h\\n'])
    expect(formatted.out).toEqual(['orders 0 0 k1 v1 2 2 source=web,trace=7'])
    await cli.rivulet(['produce', 'orders', '--value', 'v2'])
    // Exactly what the format says, as kcat: without \n the records run together.
    expect((await cli.rivulet(['consume', 'orders', '--from-beginning', '-e', '-f', '%s'])).stdout).toBe('v1v2')
    const json = await cli.rivulet(['consume', 'orders', '--from-beginning', '-e', '--json'])
    expect(json.json[0]!.headers).toEqual([{ key: 'source', value: 'web' }, { key: 'trace', value: '7' }])
    const bad = await cli.rivulet(['consume', 'orders', '-e', '-f', '%t %Q'])
    expect([bad.code, bad.err[0]]).toEqual([1, expect.stringMatching(/unsupported token "%Q" at character 4/)])
  })

  it('produces from --file, and takes the topic as --topic too', async () => {
    const { dataDir, rivulet } = fresh()
    await rivulet(['topic', 'create', 'orders'])
    const file = join(dataDir, '..', `records-${process.pid}.txt`)
    writeFileSync(file, 'x\ny\n')
    const fromFile = await rivulet(['produce', '--topic', 'orders', '--file', file])
    expect(fromFile.err).toEqual([])
    expect(fromFile.out).toEqual(['produced 2 records to "orders"'])
    expect((await rivulet(['consume', '--topic', 'orders', '--from-beginning', '-e'])).out).toHaveLength(2)
    const missing = await rivulet(['produce', 'orders', '--file', join(dataDir, 'nope.txt')])
    expect([missing.code, missing.err[0]]).toEqual([1, expect.stringMatching(/nope\.txt/)])
  })
})
