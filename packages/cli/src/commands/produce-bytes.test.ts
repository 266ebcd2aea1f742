// `rivulet produce` reads stdin as bytes (issue 7, item 10): lines split at one byte only, never
// decoded; a line that fails stops the run unless --continue-on-error; --from past int64 refused.
import { Rivulet } from '@rivulet/core'
import { describe, expect, it } from 'vitest'
import { useDataDir } from '../test-support/cli.js'

const fresh = useDataDir()

/** A small deterministic generator (mulberry32): the same bytes on every run. */
const randomBytes = (count: number, seed: number): Buffer => {
  let state = seed >>> 0
  const bytes = Buffer.alloc(count)
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    bytes[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff
  }
  return bytes
}

/** The oracle: the pieces between `\n` bytes, the last one only when it is not empty. */
const linesOf = (bytes: Buffer, separator = 0x0a): Buffer[] => {
  const lines: Buffer[] = []
  let start = 0
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === separator) {
      lines.push(bytes.subarray(start, i))
      start = i + 1
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start))
  return lines
}

/** Cuts `bytes` into chunks of varying sizes, so lines span chunks as they do on a pipe. */
const chunked = (bytes: Buffer): Buffer[] => {
  const chunks: Buffer[] = []
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = [65_536, 1, 7, 4096, 333][n % 5]!
    chunks.push(bytes.subarray(at, at + size))
    at += size
  }
  return chunks
}

/** Every record of partition 0 of `topic`, with keys and values as the bytes stored. */
const storedRecords = async (dataDir: string, topic: string) => {
  const rv = await Rivulet.embedded({ dataDir })
  try {
    const description = await rv.admin.describeTopic(topic)
    const total = description.partitions.reduce((sum, p) => sum + Number(p.logEndOffset - p.logStartOffset), 0)
    const records: { key: Buffer | null; value: Buffer | null }[] = []
    if (total === 0) return records
    const consumer = rv.consumer()
    for await (const record of consumer.iterate(topic, { from: 'earliest' })) {
      records.push({ key: record.key === null ? null : Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) })
      if (records.length === total) break
    }
    return records
  } finally {
    await rv.close()
  }
}

const withTopic = async (partitions = 1) => {
  const cli = fresh()
  expect((await cli.rivulet(['topic', 'create', 'bin', '--partitions', String(partitions)])).code).toBe(0)
  return cli
}

describe('rivulet produce reads bytes', () => {
  it('turns 200,000 random bytes into exactly the records equal to their lines, byte for byte', async () => {
    const { rivulet, dataDir } = await withTopic()
    const input = randomBytes(200_000, 7)
    const lines = linesOf(input)
    // Random bytes hold about one \n in 256, and \r, NUL and invalid UTF-8 throughout.
    expect(lines.length).toBeGreaterThan(600)
    expect(input.includes(0x0d)).toBe(true)
    const run = await rivulet(['produce', 'bin'], { stdin: chunked(input) })
    expect([run.code, run.err]).toEqual([0, []])
    expect(run.out).toEqual([`produced ${lines.length} records to "bin"`])
    const stored = await storedRecords(dataDir, 'bin')
    expect(stored.length).toBe(lines.length)
    for (let i = 0; i < lines.length; i++) {
      expect(stored[i]!.key).toBeNull()
      if (!stored[i]!.value!.equals(lines[i]!)) throw new Error(`record ${i} differs from line ${i + 1}`)
    }
  })

  it('splits at --line-separator and --key-separator bytes given as escapes, keys and values as bytes', async () => {
    const { rivulet, dataDir } = await withTopic()
    const record = (key: number[], value: number[]) => Buffer.from([...key, 0x09, ...value])
    const input = Buffer.concat([record([0xff, 0x0a], [0x0d, 0x0a]), Buffer.from([0x00]), record([0x61], [0x09, 0x62]), Buffer.from([0x00])])
    const run = await rivulet(['produce', 'bin', '--line-separator', '\\x00', '--key-separator', '\\t'], { stdin: input })
    expect([run.code, run.err]).toEqual([0, []])
    expect(await storedRecords(dataDir, 'bin')).toEqual([
      { key: Buffer.from([0xff, 0x0a]), value: Buffer.from([0x0d, 0x0a]) },
      // Split at the first separator: the second tab stays in the value.
      { key: Buffer.from('a'), value: Buffer.from([0x09, 0x62]) },
    ])
  })

  it('refuses a separator that is not one byte, and a key separator equal to the line separator', async () => {
    const { rivulet } = await withTopic()
    for (const [option, value] of [['--key-separator', '::'], ['--line-separator', 'é'], ['--key-separator', '\\x1']]) {
      const run = await rivulet(['produce', 'bin', option!, value!], { stdin: 'a:b\n' })
      expect(run.code).not.toBe(0)
      expect(run.err.join('\n')).toMatch(new RegExp(`${option} is one byte: .*got ${JSON.stringify(value).replaceAll('\\', '\\\\')}`))
    }
    const same = await rivulet(['produce', 'bin', '--key-separator', '\\n'], { stdin: 'a\n' })
    expect([same.code, same.err]).toEqual([1, ['error: --key-separator and --line-separator are both 0x0a ("\\n"): no line could hold its key separator']])
  })
})

describe('rivulet produce stops at a line that fails', () => {
  // A line above the topic's maxBatchBytes (1 MiB by default) is refused by the partition, alone in its batch.
  const tooBig = 'x'.repeat(1024 * 1024 + 10)
  const smallLines = Array.from({ length: 3000 }, (_, i) => `after-${i}`)
  const input = `before\n${tooBig}\n${smallLines.join('\n')}\n`

  it('exits 1 naming the line and the error, without reading on', async () => {
    const { rivulet, dataDir } = await withTopic()
    const run = await rivulet(['produce', 'bin'], { stdin: input })
    expect(run.code).toBe(1)
    expect(run.err[0]).toMatch(/^error: line 2: .*(too large|bigger|exceeds|maxBatchBytes)/i)
    expect(run.err.at(-1)).toMatch(/^stopped at line 2 \(--continue-on-error goes past a failed line\); produced \d+ records? to "bin"$/)
    const stored = await storedRecords(dataDir, 'bin')
    expect(stored[0]!.value!.toString()).toBe('before')
    expect(stored.some((r) => r.value!.length > 1000)).toBe(false)
    // The failure was seen at the latest when the first window of sends was drained: the rest was never read.
    expect(stored.length).toBeLessThan(1001)
  })

  it('with --continue-on-error sends every other line and still exits 1', async () => {
    const { rivulet, dataDir } = await withTopic()
    const run = await rivulet(['produce', 'bin', '--continue-on-error'], { stdin: input })
    expect(run.code).toBe(1)
    expect(run.err).toHaveLength(2)
    expect(run.err[0]).toMatch(/^error: line 2: /)
    expect(run.err[1]).toBe('produced 3001 records to "bin"; 1 line failed')
    expect((await storedRecords(dataDir, 'bin')).map((r) => r.value!.toString())).toEqual(['before', ...smallLines])
  })
})

describe('rivulet consume --from', () => {
  it('refuses an offset past int64 or negative, instead of waiting for it', async () => {
    const { rivulet } = await withTopic()
    const past = await rivulet(['consume', 'bin', '--from', '9223372036854775808', '--max-messages', '1'])
    expect(past.code).not.toBe(0)
    expect(past.err.join('\n')).toMatch(/offset 9223372036854775808 is past the largest offset there can be \(9223372036854775807, offsets are int64\)/)
    const negative = await rivulet(['consume', 'bin', '--from', '-5', '--max-messages', '1'])
    expect(negative.code).not.toBe(0)
    expect(negative.err.join('\n')).toMatch(/expected earliest, latest or an offset from 0 to 9223372036854775807, got "-5"/)
    const reset = await rivulet(['group', 'reset-offsets', 'g', '--topic', 'bin', '--to', '99999999999999999999'])
    expect(reset.code).not.toBe(0)
    expect(reset.err.join('\n')).toMatch(/past the largest offset/)
  })
})
