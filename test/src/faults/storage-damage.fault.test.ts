// Fault injection on the partition log (issue 7 items 4 and 5): over many seeds, acknowledged
// records are produced through an embedded Rivulet, the broker stops cleanly or "crashes" (the data
// directory is copied while it runs, as a SIGKILL leaves it: every write is in the files, nothing
// ran at close), then one random bit is flipped or one file cut at a random position: an active or
// closed segment, an .index, a .timeindex or a producer-state snapshot. Reopened, the broker must
// serve every acknowledged record exactly (same offset, key and value) or refuse loudly with a
// LogCorruptedError naming the file and byte position; and no offset is ever handed out twice:
// after the reopen, and after `repairLog`, new appends land above every acknowledged offset.
// Topics use flush 'every-batch': then every acknowledged offset is below the recovery point, and
// no damage to acknowledged bytes may pass for a torn tail. RIVULET_FAULT_SEEDS sets the seed count.
import { cpSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BrokerLogger, type ConsumerRecord, Rivulet } from '@rivulet/core'
import { LogCorruptedError, repairLog } from '@rivulet/storage'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, tempDataDir } from '../e2e/support.js'

afterEach(cleanup)

const SEEDS = Number(process.env.RIVULET_FAULT_SEEDS ?? 20)
const TOPIC = 'damage'

/** mulberry32: a small seeded PRNG, so that a failing seed can be run again. */
const prng = (seed: number) => {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (below: number): number => Math.floor(next() * below), pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! }
}

interface Acknowledged {
  readonly key: string
  readonly value: string
}

const opened: Rivulet[] = []
const open = async (dataDir: string, logger: BrokerLogger): Promise<Rivulet> => {
  const rv = await Rivulet.embedded({ dataDir, logger, defaultTopicConfig: { flush: 'every-batch', segmentBytes: 1024 } })
  opened.push(rv)
  return rv
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((rv) => rv.close().catch(() => undefined)))
})

const recordingLogger = () => {
  const errors: string[] = []
  const logger: BrokerLogger = { warn: () => {}, error: (message) => errors.push(message) }
  return { errors, logger }
}

/** What a consumer from the earliest offset gets: records until it has `count`, or the error that stopped it. */
const consumeAll = (rv: Rivulet, count: number): Promise<{ records: ConsumerRecord<Buffer, Buffer>[]; error: unknown }> =>
  new Promise((resolve) => {
    const records: ConsumerRecord<Buffer, Buffer>[] = []
    const consumer = rv.consumer({ fetchMaxWaitMs: 20 })
    const done = (error: unknown) => {
      subscription.unsubscribe()
      void consumer.close().catch(() => undefined)
      resolve({ records, error })
    }
    // Silently missing records would leave it waiting: that is a failure, named by the timeout.
    const timer = setTimeout(() => done(new Error(`timed out with ${records.length} of ${count} records`)), 10_000)
    const subscription = consumer.subscribe(TOPIC, { from: 'earliest' }).subscribe({
      next: (record) => {
        records.push(record as ConsumerRecord<Buffer, Buffer>)
        if (records.length === count) {
          clearTimeout(timer)
          done(undefined)
        }
      },
      error: (error: unknown) => {
        clearTimeout(timer)
        done(error)
      },
    })
    if (count === 0) {
      clearTimeout(timer)
      done(undefined)
    }
  })

/** Every record served must be the acknowledged one at its offset; the rest must be refused loudly. */
const expectServedExactlyOrRefused = (
  served: { records: ConsumerRecord<Buffer, Buffer>[]; error: unknown },
  acknowledged: ReadonlyMap<bigint, Acknowledged>,
  what: string,
): boolean => {
  for (const record of served.records) {
    const expected = acknowledged.get(record.offset)
    expect({ offset: record.offset, key: String(record.key), value: String(record.value) }, what).toEqual({ offset: record.offset, ...expected })
  }
  if (served.error === undefined) {
    expect(served.records.length, what).toBe(acknowledged.size)
    return false
  }
  expect(served.error, `${what}: ${String(served.error)}`).toBeInstanceOf(LogCorruptedError)
  const damage = served.error as LogCorruptedError
  expect(damage.file, what).toMatch(/\d{20}\.log$/)
  expect(damage.position, what).toBeGreaterThanOrEqual(0)
  return true
}

const produceOne = async (rv: Rivulet, value: string): Promise<bigint | LogCorruptedError> => {
  const producer = rv.producer({ lingerMs: 0 })
  try {
    const [metadata] = await producer.send(TOPIC, [{ key: 'after', value }])
    return metadata!.offset
  } catch (error) {
    if (error instanceof LogCorruptedError) return error
    const cause = (error as { cause?: unknown }).cause
    if (cause instanceof LogCorruptedError) return cause
    throw error
  } finally {
    await producer.close()
  }
}

const damageOne = (partitionDir: string, random: ReturnType<typeof prng>): string => {
  const candidates = readdirSync(partitionDir)
    .filter((name) => /^\d{20}\.(log|index|timeindex|snapshot)$/.test(name))
    .filter((name) => statSync(join(partitionDir, name)).size > 0)
  const name = random.pick(candidates)
  const file = join(partitionDir, name)
  const size = statSync(file).size
  if (random.next() < 0.5) {
    const at = random.int(size)
    const bit = random.int(8)
    const bytes = readFileSync(file)
    bytes[at]! ^= 1 << bit
    writeFileSync(file, bytes)
    return `flipped bit ${bit} of byte ${at} of ${name} (${size} bytes)`
  }
  const length = random.int(size)
  truncateSync(file, length)
  return `cut ${name} from ${size} to ${length} bytes`
}

describe('storage damage after a clean or unclean stop', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`seed ${seed}: every acknowledged record is served exactly or refused loudly, and no offset is reused`, async () => {
      const random = prng(seed)
      const crash = random.next() < 0.5
      const dataDir = tempDataDir()
      const first = recordingLogger()
      const rv = await open(dataDir, first.logger)
      await rv.admin.createTopic(TOPIC, { partitions: 1 })
      const producer = rv.producer({ lingerMs: 0 })
      const acknowledged = new Map<bigint, Acknowledged>()
      const sends = 10 + random.int(20)
      for (let s = 0; s < sends; s++) {
        const records = Array.from({ length: 1 + random.int(6) }, (_, i) => ({ key: `k${random.int(7)}`, value: `s${seed}-${s}-${i}-${random.int(1e9)}` }))
        const metadata = await producer.send(TOPIC, records)
        metadata.forEach((m, i) => acknowledged.set(m.offset, { key: records[i]!.key, value: records[i]!.value }))
      }
      await producer.close()
      const maxAcknowledged = [...acknowledged.keys()].reduce((a, b) => (a > b ? a : b))
      let dir = dataDir
      if (crash) {
        dir = tempDataDir()
        cpSync(dataDir, dir, { recursive: true })
        // The copy holds the live broker's lock files: a crashed broker leaves none that is alive.
        for (const name of readdirSync(dir)) if (name.startsWith('.lock')) rmSync(join(dir, name))
      }
      await rv.close()
      const partitionDir = join(dir, `${TOPIC}-0`)
      const injected = damageOne(partitionDir, random)
      const what = `seed ${seed}, ${crash ? 'crash' : 'clean close'}, ${injected}`

      const second = recordingLogger()
      const reopened = await open(dir, second.logger)
      const refused = expectServedExactlyOrRefused(await consumeAll(reopened, acknowledged.size), acknowledged, what)
      const next = await produceOne(reopened, 'after-reopen')
      if (typeof next === 'bigint') expect(next, what).toBeGreaterThan(maxAcknowledged)
      else expect(second.errors.join('\n'), what).toContain(next.file)
      await reopened.close()
      if (!refused && typeof next === 'bigint') return

      await repairLog(partitionDir)
      const third = recordingLogger()
      const repaired = await open(dir, third.logger)
      expect(third.errors, what).toEqual([])
      const afterRepair = await produceOne(repaired, 'after-repair')
      expect(typeof afterRepair === 'bigint' && afterRepair > maxAcknowledged && (typeof next !== 'bigint' || afterRepair > next), what).toBe(true)
      await repaired.close()
    })
  }
})
