import { describe, expect, it } from 'vitest'
import { useDataDir } from '../../test-support/cli.js'

const fresh = useDataDir()

const SUMMARY_FIELDS = ['records', 'bytes', 'seconds', 'records_per_s', 'mb_per_s', 'latency', 'avg_ms', 'p50_ms', 'p99_ms', 'p999_ms', 'max_ms']

describe('rivulet perf produce', () => {
  it('creates a missing topic and says so, sends --num-records of --record-size, and prints the summary as JSON with --json', async () => {
    const { rivulet } = fresh()
    const run = await rivulet(['perf', 'produce', 'load', '--num-records', '200', '--record-size', '50', '--partitions', '2', '--json'])
    expect(run.code).toBe(0)
    expect(run.err[0]).toBe('created topic "load" with 2 partitions (it did not exist)')
    expect(run.json).toHaveLength(1)
    const summary = run.json[0]!
    expect(Object.keys(summary)).toEqual(['topic', 'record_size', 'acks', ...SUMMARY_FIELDS])
    expect(summary).toMatchObject({ topic: 'load', record_size: 50, acks: 'all', records: 200, bytes: 10_000, latency: 'send-to-ack latency' })
    const { p50_ms, p99_ms, p999_ms, max_ms, avg_ms } = summary as Record<string, number>
    expect(p50_ms).toBeLessThanOrEqual(p99_ms!)
    expect(p99_ms).toBeLessThanOrEqual(p999_ms!)
    expect(p999_ms).toBeLessThanOrEqual(max_ms!)
    expect(avg_ms).toBeLessThanOrEqual(max_ms!)

    const described = await rivulet(['topic', 'describe', 'load', '--json'])
    const partitions = described.json[0]!.partitions as { logEndOffset: string }[]
    expect(partitions.reduce((sum, p) => sum + Number(p.logEndOffset), 0)).toBe(200)

    // The topic exists now: nothing is said about creating it, and the human summary is one line.
    const again = await rivulet(['perf', 'produce', 'load', '--num-records', '10', '--acks', '1', '--keys', '3', '--linger-ms', '0', '--batch-bytes', '4096'])
    expect(again.code).toBe(0)
    expect(again.err.filter((line) => line.startsWith('created'))).toEqual([])
    expect(again.out).toEqual([expect.stringMatching(/^10 records, [\d.]+ records\/s \([\d.]+ MB\/s\) in [\d.]+ s, send-to-ack latency: [\d.]+ ms avg, [\d.]+ ms p50, [\d.]+ ms p99, [\d.]+ ms p99\.9, [\d.]+ ms max$/)])
    expect((await rivulet(['perf', 'produce', 'load', '--num-records', '5', '--acks', '0', '--throughput', '1000000'])).code).toBe(0)
  })

  it('refuses flags it cannot use, naming the flag', async () => {
    const { rivulet } = fresh()
    const cases: [string[], RegExp][] = [
      [['--num-records', '10', '--throughput', '0'], /--throughput must be a positive number of records a second, or -1 for no cap, got "0"/],
      [['--num-records', '10', '--acks', '2'], /--acks must be 0, 1 or all/],
      [['--num-records', '10', '--keys', 'many'], /--keys must be 0 or a positive integer, got "many"/],
      [['--num-records', '0'], /--num-records must be a positive integer/],
      [['--num-records', '10', '--record-size', '1.5'], /--record-size must be a positive integer/],
      [[], /required option '--num-records <n>' not specified/],
    ]
    for (const [flags, message] of cases) {
      const run = await rivulet(['perf', 'produce', 'load', ...flags])
      expect(run.code, flags.join(' ')).toBe(1)
      expect(run.err.join('\n')).toMatch(message)
    }
    expect((await rivulet(['topic', 'list', '--json'])).json).toEqual([])
  })

  it('reports a refused record with what was sent and exit code 1', async () => {
    const { rivulet } = fresh()
    expect((await rivulet(['topic', 'create', 'small', '--config', 'maxBatchBytes=1024'])).code).toBe(0)
    const run = await rivulet(['perf', 'produce', 'small', '--num-records', '3', '--record-size', '2000'])
    expect(run.code).toBe(1)
    expect(run.out).toEqual([expect.stringMatching(/^0 records, /)])
    expect(run.err.at(-1)).toMatch(/^error: stopped after 0 of 3 records: /)
  })
})

describe('rivulet perf consume', () => {
  it('reads up to the end by default, or --num-records, with end-to-end latency from record timestamps', async () => {
    const { rivulet } = fresh()
    expect((await rivulet(['perf', 'produce', 'load', '--num-records', '300', '--partitions', '3', '--keys', '10'])).code).toBe(0)
    const all = await rivulet(['perf', 'consume', 'load', '--json'])
    expect(all.code).toBe(0)
    expect(Object.keys(all.json[0]!)).toEqual(['topic', ...SUMMARY_FIELDS])
    expect(all.json[0]).toMatchObject({ topic: 'load', records: 300, bytes: 30_000, latency: 'end-to-end latency (receive time minus record timestamp)' })

    const some = await rivulet(['perf', 'consume', 'load', '--num-records', '120', '--json'])
    expect(some.json[0]).toMatchObject({ records: 120, bytes: 12_000 })
    const human = await rivulet(['perf', 'consume', 'load'])
    expect(human.out).toEqual([expect.stringMatching(/^300 records, [\d.]+ records\/s \([\d.]+ MB\/s\) in [\d.]+ s, end-to-end latency \(receive time minus record timestamp\): /)])
  })

  it('ends at once on an empty topic, stops short after --timeout-ms without records, and fails on an unknown topic', async () => {
    const { rivulet } = fresh()
    expect((await rivulet(['topic', 'create', 'empty'])).code).toBe(0)
    const empty = await rivulet(['perf', 'consume', 'empty', '--json'])
    expect([empty.code, empty.json[0]!.records]).toEqual([0, 0])

    expect((await rivulet(['perf', 'produce', 'empty', '--num-records', '5'])).code).toBe(0)
    const short = await rivulet(['perf', 'consume', 'empty', '--num-records', '10', '--timeout-ms', '200'])
    expect(short.code).toBe(1)
    expect(short.out).toEqual([expect.stringMatching(/^5 records, /)])
    expect(short.err.at(-1)).toBe('error: stopped after 5 of 10 records: no record came for 200 ms (--timeout-ms)')

    const unknown = await rivulet(['perf', 'consume', 'nope'])
    expect([unknown.code, unknown.err]).toEqual([1, ['error: unknown topic "nope"']])
  })
})
