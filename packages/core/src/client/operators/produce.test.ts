import { Schema } from 'effect'
import { firstValueFrom, from, lastValueFrom, Observable, Subject, take, throwError, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { SerializationError } from '../../serde/errors.js'
import { Serde } from '../../serde/serde.js'
import { Admin } from '../admin.js'
import { Producer } from '../producer.js'
import type { RecordMetadata } from '../records.js'
import { readPartition, startTestCluster, type TestCluster } from '../test-support/cluster.js'
import { topic } from '../topic.js'
import { produce } from './produce.js'

const clusters: TestCluster[] = []
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const setup = async (partitions: number) => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  await new Admin(cluster.connection).createTopic('t', { partitions })
  return { cluster, producer: new Producer(cluster.connection, { lingerMs: 1, batchBytes: 2048 }) }
}

describe('produce()', () => {
  it('emits each record’s metadata, in order within each partition, and completes after the last', async () => {
    const { cluster, producer } = await setup(3)
    const records = Array.from({ length: 600 }, (_, i) => ({ key: `k${i % 10}`, value: `v${i}` }))
    const metadata = await lastValueFrom(from(records).pipe(produce(producer, 't'), toArray()))
    expect(metadata.length).toBe(600)
    for (let partition = 0; partition < 3; partition++) {
      const offsets = metadata.filter((m) => m.partition === partition).map((m) => m.offset)
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)))
      // The partition holds its records in the order they came.
      const stored = await readPartition(cluster.connection, 't', partition)
      const sent = records.filter((r) => stored.some((s) => s.key === r.key)).map((r) => r.value)
      expect(stored.map((s) => s.value)).toEqual(sent)
    }
    await producer.close()
  })

  it('completes only once every record is acknowledged, even when the source completes first', async () => {
    const { producer } = await setup(1)
    const source = new Subject<{ value: string }>()
    const seen: RecordMetadata[] = []
    let completed = false
    source.pipe(produce(producer, 't')).subscribe({ next: (m) => seen.push(m), complete: () => (completed = true) })
    source.next({ value: 'a' })
    source.next({ value: 'b' })
    source.complete()
    expect(completed).toBe(false)
    await producer.flush()
    expect(seen.map((m) => m.offset)).toEqual([0n, 1n])
    expect(completed).toBe(true)
  })

  it('errors with a record its serde refuses, and stops taking records', async () => {
    const { producer } = await setup(1)
    const numbers = topic('t', { value: Serde.schema(Schema.Number) })
    let unsubscribed = false
    const source = new Observable<{ value: number }>((subscriber) => {
      subscriber.next({ value: 1 })
      subscriber.next({ value: 'two' as unknown as number })
      subscriber.next({ value: 3 })
      return () => (unsubscribed = true)
    })
    await expect(lastValueFrom(source.pipe(produce(producer, numbers)))).rejects.toBeInstanceOf(SerializationError)
    expect(unsubscribed).toBe(true)
  })

  it('passes on an error of its source', async () => {
    const { producer } = await setup(1)
    await expect(firstValueFrom(throwError(() => new Error('boom')).pipe(produce(producer, 't')))).rejects.toThrow('boom')
  })

  it('stops emitting when unsubscribed; records already handed over are still sent', async () => {
    const { cluster, producer } = await setup(1)
    const records = Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` }))
    const firstThree = await lastValueFrom(from(records).pipe(produce(producer, 't'), take(3), toArray()))
    expect(firstThree.map((m) => m.offset)).toEqual([0n, 1n, 2n])
    await producer.flush()
    expect((await readPartition(cluster.connection, 't', 0)).length).toBe(20)
  })
})
