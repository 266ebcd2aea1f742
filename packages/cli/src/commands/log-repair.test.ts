import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Rivulet } from '@rivulet/core'
import { batchSizeAt, CRC_AT, encodeRecordBatch, Log } from '@rivulet/core/internal'
import { expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import type { Output } from '../output.js'
import { runCli } from '../program.js'


const capture = () => {
  const out: string[] = []
  const err: string[] = []
  const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) }
  return { out, err, output }
}

/** A partition directory of 5 one-record batches, closed cleanly, with batch 3's CRC-covered bytes damaged. */
const damagedLog = async (): Promise<{ dir: string; file: string; position: number }> => {
  const dataDir = tempDir('cli-repair')
  const dir = join(dataDir, 'orders-0')
  const log = await Log.open(dir, { flush: 'os' })
  for (let i = 0; i < 5; i++) await log.append(encodeRecordBatch([{ key: null, value: Buffer.from(`v${i}`), timestamp: 1 }]))
  await log.close()
  const file = join(dir, '00000000000000000000.log')
  const bytes = readFileSync(file)
  let position = 0
  for (let i = 0; i < 3; i++) position += batchSizeAt(bytes, position)
  bytes[position + CRC_AT + 8]! ^= 0x10
  writeFileSync(file, bytes)
  return { dir, file, position }
}

it('log repair: a dry run by default says what it would do and changes nothing; --execute does it', async () => {
  const { dir, file, position } = await damagedLog()
  const before = readdirSync(dir).sort()
  const dry = capture()
  expect(await runCli(['log', 'repair', dir], dry.output)).toBe(2)
  expect(dry.out).toEqual([
    `${file}: damaged at byte ${position}: ${dry.out[0]!.split(': ').slice(2).join(': ')}`,
    '  would keep offsets [0, 3) of this segment',
    expect.stringMatching(new RegExp(`^  would move \\d+ bytes from byte ${position} to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.damaged-${position}$`)),
    expect.stringMatching(/^  would start a new segment at offset 5: the next append gets it \(the recovery point/),
    '  run again with --execute to do it',
  ])
  expect(dry.out[0]).toMatch(/CRC mismatch/)
  expect(readdirSync(dir).sort()).toEqual(before)

  const run = capture()
  expect(await runCli(['log', 'repair', dir, '--execute'], run.output)).toBe(0)
  expect(run.out[2]).toMatch(/^  moved \d+ bytes/)
  expect(existsSync(`${file}.damaged-${position}`)).toBe(true)
  const log = await Log.open(dir, { flush: 'os' })
  expect(log.damage).toBeUndefined()
  expect((await log.append(encodeRecordBatch([{ key: null, value: Buffer.from('new'), timestamp: 1 }]))).baseOffset).toBe(5n)
  await log.close()

  const again = capture()
  expect(await runCli(['log', 'repair', dir, '--json'], again.output)).toBe(0)
  expect(JSON.parse(again.out[0]!)).toEqual({ dir, executed: false })
})

it('log repair refuses both modes at once and names a directory that is not a log', async () => {
  const { dir } = await damagedLog()
  const both = capture()
  expect(await runCli(['log', 'repair', dir, '--dry-run', '--execute'], both.output)).toBe(1)
  expect(both.err).toEqual(['choose one of --dry-run and --execute'])
  const missing = capture()
  expect(await runCli(['log', 'repair', '/nonexistent/rivulet-0'], missing.output)).toBe(1)
  expect(missing.err).toEqual(['cannot repair log /nonexistent/rivulet-0: no such directory'])
})

it('log repair --execute refuses a partition of a data directory a running broker holds, and changes nothing', async () => {
  const dataDir = tempDir('cli-repair-live')
  const rv = await Rivulet.embedded({ dataDir })
  try {
    await rv.admin.createTopic('orders', { partitions: 1 })
    await rv.producer().send('orders', { value: 'v0' })
    const dir = join(dataDir, 'orders-0')
    const before = readdirSync(dir).sort()
    const refused = capture()
    expect(await runCli(['log', 'repair', dir, '--execute'], refused.output)).toBe(1)
    expect(refused.err.join('\n')).toContain(`in use by process ${process.pid}`)
    expect(readdirSync(dir).sort()).toEqual(before)
  } finally {
    await rv.close()
  }
  // Once the broker is gone the same command runs (nothing is damaged: nothing to do).
  const after = capture()
  expect(await runCli(['log', 'repair', join(dataDir, 'orders-0'), '--execute'], after.output)).toBe(0)
})
