// A partition whose log is damaged (issue 7 item 5): loud at open, refuses produce and the damaged
// offsets, keeps serving the offsets below the damage.
import { readFileSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { batchSizeAt, Log, LogCorruptedError } from '@rivulet/storage'
import { afterEach, expect, it } from 'vitest'
import { Supervision } from '../actor/supervision.js'
import { quietSystem } from '../actor/test-support/fixtures.js'
import type { BrokerLogger } from '../broker-logger.js'
import { partitionActor, partitionLogDir, partitionPath } from './partition-actor.js'
import { fetchFrom, produce, settled } from './test-support/partition-client.js'
import { batchOf, recordsIn, tempDir } from './test-support/records.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

it('logs the damage at open, fails produce and fetches of damaged offsets with it, and serves what is below', async () => {
  const { dir: dataDir, remove } = tempDir('partition-damage')
  const { system } = quietSystem()
  cleanups.push(remove, () => system.shutdown())
  const logDir = partitionLogDir(dataDir, 'orders', 0)
  const log = await Log.open(logDir, { flush: 'every-batch' })
  for (let i = 0; i < 10; i++) await log.append(batchOf([`v${i}`]))
  await log.close()
  // Cut the segment at the start of batch 6, a batch boundary: a shorter log, not a torn tail.
  const segment = join(logDir, '00000000000000000000.log')
  const bytes = readFileSync(segment)
  let position = 0
  for (let i = 0; i < 6; i++) position += batchSizeAt(bytes, position)
  truncateSync(segment, position)

  const errors: Array<{ message: string; fields?: Readonly<Record<string, unknown>> }> = []
  const logger: BrokerLogger = { warn: () => {}, error: (message, fields) => errors.push({ message, fields }) }
  const partition = system.spawn(
    partitionPath('test', 0, 'orders', 0),
    partitionActor({ topic: 'orders', partition: 0, dataDir, config: { flush: 'every-batch' }, retentionCheckIntervalMs: 3_600_000, logger }),
    { supervision: Supervision.restart() },
  )
  const below = await fetchFrom(partition, 0n)
  expect(recordsIn(below.records).map((record) => record.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
  expect(errors).toEqual([
    {
      message: expect.stringMatching(/orders-0 is damaged/),
      fields: expect.objectContaining({ file: segment, position, firstOffset: 6n, repair: `rivulet log repair ${logDir}` }),
    },
  ])
  const produced = await settled(produce(partition, batchOf(['new'])))
  expect(produced).toBeInstanceOf(LogCorruptedError)
  expect(produced).toMatchObject({ file: segment, position, firstOffset: 6n })
  expect(await settled(fetchFrom(partition, 6n))).toBeInstanceOf(LogCorruptedError)
  expect(await settled(fetchFrom(partition, 7n))).toBeInstanceOf(LogCorruptedError)
  expect(recordsIn((await fetchFrom(partition, 5n)).records).map((record) => record.value)).toEqual(['v5'])
})
