import { describe, expect, it } from 'vitest'
import { useDataDir } from '../test-support/cli.js'

const fresh = useDataDir()

/** Two partitions, records 0..4 spread by key, and group "billing" having consumed and committed 3 of them. */
const groupThatConsumed = async () => {
  const cli = fresh()
  const { rivulet } = cli
  expect((await rivulet(['topic', 'create', 'orders', '--partitions', '2'])).code).toBe(0)
  expect((await rivulet(['produce', 'orders', '--key-separator', '=', '--json'], { stdin: 'a=1\nb=2\nc=3\nd=4\ne=5\n' })).code).toBe(0)
  const consumed = await rivulet(['consume', 'orders', '--group', 'billing', '--from', 'earliest', '--max-messages', '5', '--json'])
  expect(consumed.json.map(({ value }) => value).sort()).toEqual(['1', '2', '3', '4', '5'])
  return cli
}

const ends = async (rivulet: ReturnType<ReturnType<typeof useDataDir>>['rivulet']) => {
  const described = await rivulet(['topic', 'describe', 'orders', '--json'])
  return (described.json[0]!.partitions as { logEndOffset: string }[]).map((p) => p.logEndOffset)
}

describe('rivulet group', () => {
  it('lists and describes a group after a --group consume committed what it printed', async () => {
    const { rivulet } = await groupThatConsumed()
    expect((await rivulet(['group', 'list', '--json'])).json).toEqual([{ groupId: 'billing', state: 'Empty' }])
    expect((await rivulet(['group', 'list'])).out).toEqual(['billing  Empty'])

    const logEnds = await ends(rivulet)
    const described = await rivulet(['group', 'describe', 'billing', '--json'])
    expect(described.json).toHaveLength(1)
    expect(described.json[0]).toMatchObject({ groupId: 'billing', state: 'Empty', members: [] })
    expect(described.json[0]!.offsets).toEqual(logEnds.map((end, partition) => ({ topic: 'orders', partition, committed: end, logEnd: end, lag: '0' })))
    const human = await rivulet(['group', 'describe', 'billing'])
    expect(human.out[0]).toMatch(/^group billing {2}state Empty .* members 0$/)
    expect(human.out.slice(1)).toEqual(['  no members', ...logEnds.map((end, n) => `  orders-${n}  committed ${end}  logEnd ${end}  lag 0`)])

    // Resuming from the committed offsets: only what is produced later is read.
    await rivulet(['produce', 'orders', '--key', 'a', '--value', '6'])
    const resumed = await rivulet(['consume', 'orders', '--group', 'billing', '--from', 'earliest', '--max-messages', '1', '--json'])
    expect(resumed.json.map(({ value }) => value)).toEqual(['6'])
  })

  it('plans a reset by default, commits it with --execute, and the group reads again from there', async () => {
    const { rivulet } = await groupThatConsumed()
    const logEnds = await ends(rivulet)
    const plan = await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest'])
    expect(plan.out).toEqual([...logEnds.map((end, n) => `orders-${n}  committed ${end}  ->  0`), 'dry run: nothing changed (--execute commits these offsets)'])
    expect((await rivulet(['group', 'describe', 'billing', '--json'])).json[0]!.offsets).toMatchObject(logEnds.map(() => ({ lag: '0' })))

    expect((await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to', 'earliest', '--execute', '--json'])).json).toEqual([
      { groupId: 'billing', topic: 'orders', partition: 0, committed: logEnds[0], next: '0', clamped: null, executed: true },
      { groupId: 'billing', topic: 'orders', partition: 1, committed: logEnds[1], next: '0', clamped: null, executed: true },
    ])
    const lags = await rivulet(['group', 'describe', 'billing', '--json'])
    expect((lags.json[0]!.offsets as { lag: string }[]).map((p) => p.lag)).toEqual(logEnds)
    const again = await rivulet(['consume', 'orders', '--group', 'billing', '--max-messages', '5', '--json'])
    expect(again.json.map(({ value }) => value).sort()).toEqual(['1', '2', '3', '4', '5'])

    // An offset past the end is kept within the log, as Kafka does, and the clamp is reported.
    const clamped = await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-offset', '1000', '--execute'])
    expect(clamped.out.slice(0, 2)).toEqual(logEnds.map((end, n) => `orders-${n}  committed ${end}  ->  ${end}`))
    expect(clamped.err).toEqual(logEnds.map((end, n) => `orders-${n}: offset 1000 is outside the log, clamped to the log end ${end}`))
    const back = await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--partition', '0', '--shift-by', '-1', '--execute', '--json'])
    expect(back.json).toEqual([expect.objectContaining({ partition: 0, next: String(BigInt(logEnds[0]!) - 1n) })])
    expect((await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to', 'latest', '--dry-run', '--execute'])).err).toEqual([
      'error: --dry-run and --execute: give one (without either, a dry run)',
    ])
    expect((await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-latest', '--to-earliest'])).code).toBe(1)
  })

  it('--to-datetime moves each partition to its first record at or after the time, the log end where none is', async () => {
    const { rivulet } = await groupThatConsumed()
    const logEnds = await ends(rivulet)
    // Every record so far is older than `cut`; one is produced after it.
    const cut = Date.now() + 1
    while (Date.now() <= cut) await new Promise((resolve) => setImmediate(resolve))
    const later = await rivulet(['produce', 'orders', '--key', 'a', '--value', 'later', '--json'])
    expect(later.json[0]!.timestamp as number).toBeGreaterThanOrEqual(cut)
    const p = later.json[0]!.partition as number
    const at = new Date(cut).toISOString()
    const plan = await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-datetime', at, '--execute', '--json'])
    expect(plan.json).toEqual(logEnds.map((end, partition) => expect.objectContaining({ partition, committed: end, next: end, clamped: null, executed: true })))
    const read = await rivulet(['consume', 'orders', '--group', 'billing', '--max-messages', '1', '--json'])
    expect(read.json.map(({ value }) => value)).toEqual(['later'])

    const earlier = await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-datetime', '2000-01-01T00:00:00.000'])
    const committedNow = logEnds.map((end, partition) => (partition === p ? BigInt(end) + 1n : BigInt(end)))
    expect(earlier.out).toEqual([...committedNow.map((c, n) => `orders-${n}  committed ${c}  ->  0`), 'dry run: nothing changed (--execute commits these offsets)'])
    for (const bad of ['yesterday', '2026-13-45T99:00', '1700000000000']) {
      const refused = await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-datetime', bad])
      expect([refused.code, refused.err.join('\n')]).toEqual([1, expect.stringContaining(`--to-datetime expects a date and time as YYYY-MM-DDTHH:mm:SS.sss`)])
    }
  })

  it('refuses to reset a group that does not exist, creating nothing', async () => {
    const { rivulet } = await groupThatConsumed()
    const unknown = await rivulet(['group', 'reset-offsets', 'typo', '--topic', 'orders', '--to-earliest', '--execute'])
    expect([unknown.code, unknown.err[0]]).toEqual([1, expect.stringMatching(/^error: unknown consumer group "typo"/)])
    expect((await rivulet(['group', 'list'])).out).toEqual(['billing  Empty'])
  })

  it('deletes a group, and names an unknown group or topic', async () => {
    const { rivulet } = await groupThatConsumed()
    expect((await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'nope', '--to', 'earliest'])).err).toEqual(['error: unknown topic "nope"'])
    expect((await rivulet(['group', 'delete', 'billing'])).out).toEqual(['deleted group "billing"'])
    expect((await rivulet(['group', 'list'])).out).toEqual(['no consumer groups'])
    expect((await rivulet(['group', 'list', '--json'])).out).toEqual(['[]'])
    const gone = await rivulet(['group', 'delete', 'billing'])
    expect([gone.code, gone.err]).toEqual([1, ['error: unknown consumer group "billing"']])
    const badTo = await rivulet(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to', 'soon'])
    expect(badTo.code).toBe(1)
    expect(badTo.err.join('\n')).toMatch(/--to/)
  })
})
