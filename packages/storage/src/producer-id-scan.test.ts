// scanProducerIds: the highest producer id a partition directory mentions, in batches or snapshots.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { Log } from './log.js'
import { scanProducerIds } from './producer-id-scan.js'
import { encodeProducerSnapshot, snapshotFileName } from './producer-state-snapshot.js'
import { PRODUCER_ID_AT } from './record-batch/batch-header.js'
import { encodeRecordBatch } from './record-batch/encoder.js'

const batch = (producerId: bigint, baseSequence = 0) =>
  encodeRecordBatch([{ key: null, value: Buffer.from('v'), timestamp: 1 }], { producerId, producerEpoch: 0, baseSequence })
const plain = () => encodeRecordBatch([{ key: null, value: Buffer.from('v'), timestamp: 1 }])

const logWith = async (dir: string, batches: Buffer[], segmentBytes = 1024 * 1024): Promise<void> => {
  const log = await Log.open(dir, { flush: 'os', segmentBytes })
  for (const bytes of batches) await log.append(bytes)
  await log.close()
}

describe('scanProducerIds', () => {
  it('finds nothing in an empty directory or one with only non-idempotent batches', async () => {
    const dir = tempDir('pid-scan')
    expect(scanProducerIds(dir)).toEqual({ highestProducerId: undefined, unreadable: [] })
    await logWith(dir, [plain(), plain()])
    expect(scanProducerIds(dir)).toEqual({ highestProducerId: undefined, unreadable: [] })
  })

  it('finds the highest id over every segment, not the last one written', async () => {
    const dir = tempDir('pid-scan')
    // Small segments: the batches spread over several files, the highest in an early one.
    await logWith(dir, [batch(3n), batch(1042n), plain(), batch(7n), batch(12n, 1)], 150)
    expect(readdirSync(dir).filter((name) => name.endsWith('.log')).length).toBeGreaterThan(2)
    expect(scanProducerIds(dir)).toEqual({ highestProducerId: 1042n, unreadable: [] })
  })

  it('finds ids only a snapshot still holds (their batches gone to retention)', async () => {
    const dir = tempDir('pid-scan')
    await logWith(dir, [batch(4n)])
    const producers = [{ producerId: 5000n, producerEpoch: 0, batches: [{ firstSeq: 0, lastSeq: 0, firstOffset: 0n, lastOffset: 0n, maxTimestamp: 1 }] }]
    writeFileSync(join(dir, snapshotFileName(1n)), encodeProducerSnapshot(1n, producers))
    expect(scanProducerIds(dir).highestProducerId).toBe(5000n)
  })

  it('does not take a flipped bit for an id: the bad batch stops the scan of its file and is reported', async () => {
    const dir = tempDir('pid-scan')
    await logWith(dir, [batch(9n), batch(10n)])
    const file = join(dir, readdirSync(dir).find((name) => name.endsWith('.log')) as string)
    const bytes = readFileSync(file)
    const second = bytes.length / 2
    bytes[second + PRODUCER_ID_AT] = 0x7f // the second batch now claims an id near 2^63
    writeFileSync(file, bytes)
    const scan = scanProducerIds(dir)
    expect(scan.highestProducerId).toBe(9n)
    expect(scan.unreadable).toEqual([{ file, reason: expect.stringContaining(`from byte ${second}`) }])
  })

  it('reports a snapshot that does not decode', async () => {
    const dir = tempDir('pid-scan')
    const file = join(dir, snapshotFileName(3n))
    writeFileSync(file, Buffer.from('not a snapshot'))
    expect(scanProducerIds(dir)).toEqual({ highestProducerId: undefined, unreadable: [{ file, reason: expect.any(String) }] })
  })
})
