import { readdirSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeRecordBatch, Log } from '@rivulet/core/internal'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import type { Output } from './output.js'
import { runCli, VERSION } from './program.js'

const capture = () => {
  const out: string[] = []
  const err: string[] = []
  const output: Output = { out: (l) => out.push(l), err: (l) => err.push(l) }
  return { out, err, output }
}

const logWithRecords = async () => {
  const dir = tempDir('cli')
  const log = await Log.open(dir, { flush: 'os' })
  await log.append(encodeRecordBatch([{ key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 5 }]))
  await log.append(encodeRecordBatch([{ key: null, value: Buffer.from('v2'), timestamp: 6 }, { key: Buffer.from('k3'), value: null, timestamp: 7 }]))
  await log.close()
  return dir
}

describe('rivulet', () => {
  it('prints its version', async () => {
    const { out, output } = capture()
    expect(await runCli(['--version'], output)).toBe(0)
    expect(out).toEqual([VERSION])
    // The version is the package's own, not a copy that could drift from it.
    expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version)
  })

  it('dump-log prints batches and records as JSON lines', async () => {
    const dir = await logWithRecords()
    const { out, output } = capture()
    expect(await runCli(['dump-log', dir, '--records', '--json'], output)).toBe(0)
    const lines = out.map((l) => JSON.parse(l))
    expect(lines.filter((l) => 'baseOffset' in l).map((l) => [l.baseOffset, l.lastOffset, l.count])).toEqual([['0', '0', 1], ['1', '2', 2]])
    expect(lines.filter((l) => 'offset' in l).map((l) => [l.offset, l.key, l.value])).toEqual([['0', 'k1', 'v1'], ['1', null, 'v2'], ['2', 'k3', null]])
  })

  it('dump-log reports a corrupt batch with its file and position and exits 2', async () => {
    const dir = await logWithRecords()
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!)
    const bytes = readFileSync(file)
    bytes[bytes.length - 1]! ^= 0xff
    writeFileSync(file, bytes)
    const { out, output } = capture()
    expect(await runCli(['dump-log', dir], output)).toBe(2)
    expect(out.at(-1)).toMatch(/position \d+: INVALID CRC mismatch/)
  })

  it('dump-log names a directory that has no segments, and an unknown command fails', async () => {
    const { err, output } = capture()
    expect(await runCli(['dump-log', '/nonexistent/rivulet'], output)).toBe(1)
    expect(err[0]).toMatch(/cannot read log directory \/nonexistent\/rivulet/)
    expect(await runCli(['frobnicate'], capture().output)).not.toBe(0)
  })
})
