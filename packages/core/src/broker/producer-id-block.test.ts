import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Log } from '@rivulet/storage'
import { afterEach, describe, expect, it } from 'vitest'
import { idempotentBatch, tempDir } from '../partition/test-support/records.js'
import { ProducerIdBlock, producerIdFile } from './producer-id-block.js'
import { recordingLogger } from './test-support/recording-logger.js'

const dirs: (() => void)[] = []
const fresh = (): string => {
  const { dir, remove } = tempDir('producer-ids')
  dirs.push(remove)
  return dir
}
afterEach(() => {
  for (const remove of dirs.splice(0)) remove()
})

/** A partition directory whose log holds a batch of each given producer. */
const partitionWith = async (dataDir: string, name: string, producerIds: readonly bigint[]): Promise<void> => {
  const log = await Log.open(join(dataDir, name), { flush: 'os' })
  for (const id of producerIds) await log.append(idempotentBatch(id, 0, ['a', 'b']))
  await log.close()
}

describe('producer id block', () => {
  it('never hands out an id twice, across reloads', () => {
    const dataDir = fresh()
    const seen = new Set<bigint>()
    for (let run = 0; run < 4; run++) {
      const block = ProducerIdBlock.load(dataDir, recordingLogger(), 3n)
      for (let i = 0; i < run + 2; i++) {
        const id = block.allocate()
        expect(seen.has(id)).toBe(false)
        seen.add(id)
      }
    }
    expect(seen.size).toBe(2 + 3 + 4 + 5)
  })

  it('on a new data directory records that no id was handed out yet, so topics created before any producer never look like a lost file', async () => {
    const dataDir = fresh()
    const logger = recordingLogger()
    ProducerIdBlock.load(dataDir, logger, 10n)
    await partitionWith(dataDir, 'orders-0', [])
    expect(ProducerIdBlock.load(dataDir, logger, 10n).allocate()).toBe(0n)
    expect(logger.lines).toEqual([])
  })

  it('starts at 0 and skips the unused rest of a block after a reload, silently', () => {
    const dataDir = fresh()
    const logger = recordingLogger()
    const first = ProducerIdBlock.load(dataDir, logger, 10n)
    expect(first.allocate()).toBe(0n)
    expect(first.allocate()).toBe(1n)
    expect(ProducerIdBlock.load(dataDir, logger, 10n).allocate()).toBe(10n)
    expect(logger.lines).toEqual([])
  })

  it('with the file missing beside partition logs, starts above every producer id they hold, says so, and writes the file', async () => {
    const dataDir = fresh()
    await partitionWith(dataDir, 'orders-0', [0n, 3n])
    await partitionWith(dataDir, 'orders-1', [1n, 1500n])
    mkdirSync(join(dataDir, '__cluster'), { recursive: true })
    const logger = recordingLogger()
    const block = ProducerIdBlock.load(dataDir, logger, 10n)
    expect(block.allocate()).toBe(1501n)
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatchObject({ level: 'error', fields: { nextBlockStart: 1501n, highestProducerIdFound: 1500n } })
    expect(logger.lines[0]?.message).toContain(`${producerIdFile(dataDir)} is missing`)
    // Written again: the next load reads it and scans nothing.
    expect(JSON.parse(readFileSync(producerIdFile(dataDir), 'utf8'))).toEqual({ version: 1, nextBlockStart: '1511' })
    const quiet = recordingLogger()
    expect(ProducerIdBlock.load(dataDir, quiet, 10n).allocate()).toBe(1511n)
    expect(quiet.lines).toEqual([])
  })

  for (const [damage, text] of [
    ['truncated', '{"version":1,"nextBl'],
    ['garbled', '{"version":1,"nextBlockStart":"-5"}'],
    ['emptied', ''],
  ] as const) {
    it(`with the file ${damage}, starts above every producer id on disk and names the file`, async () => {
      const dataDir = fresh()
      await partitionWith(dataDir, 't-0', [41n])
      const block = ProducerIdBlock.load(dataDir, recordingLogger(), 10n)
      expect(block.allocate()).toBe(42n)
      writeFileSync(producerIdFile(dataDir), text)
      const logger = recordingLogger()
      // 42 was handed out but never written with: nothing on disk can match it, so it is free again.
      expect(ProducerIdBlock.load(dataDir, logger, 10n).allocate()).toBe(42n)
      expect(logger.lines[0]?.message).toContain(`corrupt broker file ${producerIdFile(dataDir)}`)
    })
  }

  it('on a fresh data directory says nothing', () => {
    const dataDir = fresh()
    rmSync(dataDir, { recursive: true })
    const logger = recordingLogger()
    expect(ProducerIdBlock.load(dataDir, logger).allocate()).toBe(0n)
    expect(logger.lines).toEqual([])
  })
})
