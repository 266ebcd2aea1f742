// send() of records across partitions when one partition's disk is full: the partition answers
// StorageFullError (retriable, nothing written), and the call says which records were written.
import { StorageFullError } from '@rivulet/storage'
import { afterEach, describe, expect, it } from 'vitest'
import type { ActorRef, AskOptions, ReplyTo } from '../actor/actor-ref.js'
import type { PartitionMessage } from '../partition/partition-protocol.js'
import { Admin } from './admin.js'
import { PartialSendError } from './errors.js'
import { Producer } from './producer.js'
import { readPartition, startTestCluster, type TestCluster } from './test-support/cluster.js'

const clusters: TestCluster[] = []
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = async () => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  await new Admin(cluster.connection).createTopic('t', { partitions: 2 })
  return cluster
}

/** Partition `n` answers its first `times` Produce asks with StorageFullError, without appending; fetches go through. */
const fullDisk = (cluster: TestCluster, n: number, times: number) => {
  let left = times
  cluster.wrapPartition(
    (path) => path.endsWith(`.t.${n}`),
    (ref): ActorRef<PartitionMessage> => ({
      path: ref.path,
      tell: (message) => ref.tell(message),
      ask: ((make: (replyTo: ReplyTo<any>) => PartitionMessage, options?: AskOptions) => {
        const message = make({ reply: () => undefined, fail: () => undefined })
        if (message._tag !== 'Produce' || left === 0) return ref.ask(make as never, options)
        left--
        return Promise.reject(new StorageFullError({ file: `${cluster.dataDir}/t-${n}/00000000000000000000.log`, bytes: message.batch.length, code: 'ENOSPC' }))
      }) as ActorRef<PartitionMessage>['ask'],
    }),
  )
}

const values = async (cluster: TestCluster, partition: number) => (await readPartition(cluster.connection, 't', partition)).map((r) => r.value)

const options = { lingerMs: 0, retries: 2, retryBackoffMs: 1, retryBackoffMaxMs: 2 }

describe('Producer.send on a full disk', () => {
  it('retries StorageFullError as retriable, then says per record which were written and which not', async () => {
    const cluster = await setup()
    fullDisk(cluster, 1, 100)
    const producer = new Producer(cluster.connection, options)
    const sent = producer.send('t', [
      { value: 'a', partition: 0 },
      { value: 'x', partition: 1 },
      { value: 'b', partition: 0 },
      { value: 'y', partition: 1 },
    ])
    const error = await sent.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PartialSendError)
    const partial = error as PartialSendError
    expect(partial.topic).toBe('t')
    expect(partial.written).toBe(2)
    expect(partial.results.map(({ index, written, partition }) => ({ index, written, partition }))).toEqual([
      { index: 0, written: true, partition: 0 },
      { index: 1, written: false, partition: 1 },
      { index: 2, written: true, partition: 0 },
      { index: 3, written: false, partition: 1 },
    ])
    expect(partial.results[0]).toMatchObject({ offset: 0n })
    expect(partial.results[2]).toMatchObject({ offset: 1n })
    expect(partial.results[1]).toMatchObject({ error: expect.any(StorageFullError) })
    expect(partial.message).toContain('2 of 4 records were written')
    expect(producer.stats.retries).toBe(2)
    expect(await values(cluster, 0)).toEqual(['a', 'b'])
    expect(await values(cluster, 1)).toEqual([])
    await producer.close()
  })

  it('rejects with the StorageFullError itself when nothing of the call was written', async () => {
    const cluster = await setup()
    fullDisk(cluster, 1, 100)
    const producer = new Producer(cluster.connection, options)
    await expect(producer.send('t', [{ value: 'x', partition: 1 }, { value: 'y', partition: 1 }])).rejects.toBeInstanceOf(StorageFullError)
    await expect(producer.send('t', { value: 'z', partition: 1 })).rejects.toMatchObject({ _tag: 'StorageFullError', retriable: true })
    await producer.close()
  })

  it('succeeds once space is back within the retries, writing each record once', async () => {
    const cluster = await setup()
    fullDisk(cluster, 1, 1)
    const producer = new Producer(cluster.connection, { ...options, idempotent: true })
    const results = await producer.send('t', [{ value: 'x', partition: 1 }, { value: 'y', partition: 1 }])
    expect(results.map((result) => result.offset)).toEqual([0n, 1n])
    expect(producer.stats.retries).toBe(1)
    expect(await values(cluster, 1)).toEqual(['x', 'y'])
    await producer.close()
  })
})
