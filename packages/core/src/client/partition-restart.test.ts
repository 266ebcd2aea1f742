/**
 * Clients across a partition restarted by its supervisor: the request the partition was handling
 * when it threw fails with ActorFailedError, and the clients must take that as transient (the
 * partition comes back from disk), not as an answer.
 */
import { Log, type LogConfigInput } from '@rivulet/storage'
import { rmSync } from 'node:fs'
import { firstValueFrom, take, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { quietSystem } from '../actor/test-support/fixtures.js'
import { startBroker } from '../broker/broker-actor.js'
import { Admin } from './admin.js'
import { Consumer } from './consumer.js'
import { localConnection } from './local-connection.js'
import { Producer } from './producer.js'
import { readPartition } from './test-support/cluster.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** A broker whose partition logs of topic `t` throw once on the next flush or read when told to. */
const setup = async () => {
  const faults = { flush: false, read: false }
  const openLog = async (dir: string, config: LogConfigInput) => {
    const log = await Log.open(dir, config)
    if (!dir.endsWith('t-0')) return log
    const flushedPerPolicy = log.flushedPerPolicy.bind(log)
    log.flushedPerPolicy = () => {
      if (!faults.flush) return flushedPerPolicy()
      faults.flush = false
      return Promise.reject(new Error('EIO: disk went away'))
    }
    const read = log.read.bind(log)
    log.read = (offset, options) => {
      if (!faults.read) return read(offset, options)
      faults.read = false
      return Promise.reject(new Error('EIO: read failed'))
    }
    return log
  }
  const dataDir = tempDir('restart')
  const { system } = quietSystem()
  const broker = startBroker(system, { dataDir, clusterId: 'c1', defaultTopicConfig: { flush: 'os' }, offsetsTopicPartitions: 1 }, { openLog })
  const connection = localConnection(system, broker)
  cleanups.push(async () => {
    await system.shutdown()
    rmSync(dataDir, { recursive: true, force: true })
  })
  await new Admin(connection).createTopic('t', { partitions: 1 })
  return { connection, faults }
}

describe('clients across a partition restart', () => {
  it('an idempotent producer retries a batch whose partition crashed: delivered once, not failed', async () => {
    const { connection, faults } = await setup()
    const producer = new Producer(connection, { lingerMs: 0, retryBackoffMs: 1, retryBackoffMaxMs: 5 })
    await producer.send('t', { value: 'before', partition: 0 })
    faults.flush = true
    const during = await producer.send('t', { value: 'during', partition: 0 })
    expect(during.offset).toBe(1n)
    await producer.send('t', { value: 'after', partition: 0 })
    await producer.close()
    expect((await readPartition(connection, 't', 0)).map((r) => r.value)).toEqual(['before', 'during', 'after'])
  })

  it('a consumer goes on reading when the partition crashes while handling its fetch', async () => {
    const { connection, faults } = await setup()
    const producer = new Producer(connection, { lingerMs: 0 })
    await producer.send('t', [{ value: 'a', partition: 0 }])
    const consumer = new Consumer(connection, { fetchMaxWaitMs: 20, retryBackoffMs: 1 })
    cleanups.unshift(() => consumer.close())
    faults.read = true
    const records = firstValueFrom(consumer.subscribe('t', { from: 'earliest' }).pipe(take(2), toArray()))
    await producer.send('t', [{ value: 'b', partition: 0 }])
    expect((await records).map((r) => r.value?.toString())).toEqual(['a', 'b'])
    await producer.close()
  })
})
