// End-to-end: idempotent producing. Producers are idempotent by default (a producer id and
// per-partition sequences on every batch); a retry after a lost reply is not appended twice; the
// partition answers a repeated batch with its original offset, also after a restart.
//
// The public Rivulet gives no hook to lose a reply, so the fault tests build the same embedded
// broker from its parts (ActorSystem and startBroker from @rivulet/core/internal, Producer,
// Consumer) over a connection
// whose partition refs lose one Produce reply after the partition has appended the batch.
import { AskTimeoutError, type ClusterConnection, Consumer, Producer, type ProducerOptionsInput } from '@rivulet/core'
import { type ActorRef, ActorSystem, localConnection, type PartitionMessage, startBroker } from '@rivulet/core/internal'
import { encodeRecordBatch } from '@rivulet/storage'
import { firstValueFrom, take, timeout, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { batchesOnDisk, cleanup, embedded, tempDataDir } from './support.js'
import { rejectionOf, thrownBy } from '@rivulet/test-kit'

const systems: ActorSystem[] = []
afterEach(async () => {
  for (const system of systems.splice(0)) await system.shutdown()
  await cleanup()
})

/** A broker in its own actor system on `dataDir`; `lose` picks which Produce replies get lost. */
const startEmbeddedBroker = async (dataDir: string, lose: (produceNumber: number) => boolean = () => false) => {
  const system = new ActorSystem({ askTimeoutMs: 5_000 })
  systems.push(system)
  const broker = startBroker(system, { dataDir, defaultTopicConfig: { flush: 'os' } })
  const base = localConnection(system, broker)
  let produces = 0
  const losing = (ref: ActorRef<PartitionMessage>): ActorRef<PartitionMessage> => ({
    path: ref.path,
    tell: (message) => ref.tell(message),
    ask: ((make: Parameters<ActorRef<PartitionMessage>['ask']>[0], options?: { timeoutMs?: number }) => {
      let tag: string | undefined
      const answer = ref.ask((replyTo) => {
        const message = make(replyTo)
        tag = message._tag
        return message
      }, options)
      if (tag !== 'Produce' || !lose(++produces)) return answer
      // The partition appended the batch; only its reply goes missing, as after a network fault.
      return answer.then(() => {
        throw new AskTimeoutError({ path: ref.path, messageTag: 'Produce', timeoutMs: options?.timeoutMs ?? 0 })
      })
    }) as ActorRef<PartitionMessage>['ask'],
  })
  const connection: ClusterConnection = { ...base, partition: (path) => losing(base.partition(path)) }
  // The broker's first answer means it has spawned the partitions it restored (as Rivulet.embedded waits).
  await broker.ask((replyTo) => ({ _tag: 'ListTopics', replyTo }))
  return { system, broker, connection }
}

const valuesIn = async (connection: ClusterConnection, topic: string, count: number) => {
  const consumer = new Consumer(connection, { fetchMaxWaitMs: 20 })
  const records = await firstValueFrom(consumer.subscribe(topic, { from: 'earliest' }).pipe(take(count), toArray(), timeout(5_000)))
  await consumer.close()
  return records.map((r) => [r.offset, r.value?.toString()])
}

describe('idempotence by default', () => {
  it('gives every producer its own id and numbers each partition’s batches by sequence', async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('seq', { partitions: 1 })
    const first = rv.producer({ lingerMs: 0 })
    expect(first.options).toMatchObject({ idempotent: true, acks: 'all' })
    await first.send('seq', [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    await first.send('seq', { value: 'd' })
    await first.send('seq', [{ value: 'e' }, { value: 'f' }])
    const second = rv.producer({ lingerMs: 0 })
    await second.send('seq', { value: 'g' })

    const batches = batchesOnDisk(dataDir, 'seq', 0)
    expect(batches.map((b) => [b.baseOffset, b.recordCount, b.baseSequence])).toEqual([
      [0n, 3, 0],
      [3n, 1, 3],
      [4n, 2, 4],
      [6n, 1, 0],
    ])
    const [a, , , g] = batches.map((b) => b.producerId)
    expect(a).toBeGreaterThanOrEqual(0n)
    expect(new Set(batches.slice(0, 3).map((b) => b.producerId))).toEqual(new Set([a]))
    expect(g).not.toBe(a)
    expect(g).toBeGreaterThanOrEqual(0n)
  })

  it('a non-idempotent producer writes batches without a producer id', async () => {
    const dataDir = tempDataDir()
    const rv = await embedded({ dataDir })
    await rv.admin.createTopic('plain', { partitions: 1 })
    await rv.producer({ acks: 1 }).send('plain', { value: 'x' })
    expect(batchesOnDisk(dataDir, 'plain', 0).map((b) => [b.producerId, b.baseSequence])).toEqual([[-1n, -1]])
    const error = thrownBy(() => rv.producer({ acks: 1, idempotent: true }))
    expect(error._tag).toBe('InvalidClientOptionError')
    expect(error.message).toContain('idempotent')
  })
})

describe('a retry after a lost reply', () => {
  const scenario = async (options: ProducerOptionsInput) => {
    const { connection, broker } = await startEmbeddedBroker(tempDataDir(), (n) => n === 2)
    await broker.ask((replyTo) => ({ _tag: 'CreateTopic', name: 'pay', partitions: 1, config: {}, replyTo }))
    const producer = new Producer(connection, { lingerMs: 0, retryBackoffMs: 1, retryBackoffMaxMs: 5, ...options })
    const sent = [await producer.send('pay', { value: 'one' }), await producer.send('pay', { value: 'two' }), await producer.send('pay', { value: 'three' })]
    await producer.close()
    return { broker, connection, producer, offsets: sent.map((m) => m.offset) }
  }

  it('is answered with the original offset and appends nothing (idempotent producer)', async () => {
    const { broker, connection, producer, offsets } = await scenario({})
    expect(producer.stats.retries).toBe(1)
    expect(offsets).toEqual([0n, 1n, 2n])
    expect(await valuesIn(connection, 'pay', 3)).toEqual([
      [0n, 'one'],
      [1n, 'two'],
      [2n, 'three'],
    ])
    const described = await broker.ask((replyTo) => ({ _tag: 'DescribeTopic', name: 'pay', replyTo }))
    expect(described.partitions[0].logEndOffset).toBe(3n)
  })

  it('duplicates the record without idempotence: the fault is real', async () => {
    const { connection, producer, offsets } = await scenario({ idempotent: false })
    expect(producer.stats.retries).toBe(1)
    expect(offsets).toEqual([0n, 2n, 3n])
    expect(await valuesIn(connection, 'pay', 4)).toEqual([
      [0n, 'one'],
      [1n, 'two'],
      [2n, 'two'],
      [3n, 'three'],
    ])
  })
})

describe('the partition recognises a repeated batch', () => {
  it('answers the same producer id and sequence with the same offset, also after a restart', async () => {
    const dataDir = tempDataDir()
    let { system, broker, connection } = await startEmbeddedBroker(dataDir)
    const metadata = await broker.ask((replyTo) => ({ _tag: 'CreateTopic', name: 'dup', partitions: 1, config: {}, replyTo }))
    const { producerId, producerEpoch } = await broker.ask((replyTo) => ({ _tag: 'InitProducerId', replyTo }))
    const batch = (baseSequence: number, value: string) =>
      encodeRecordBatch([{ key: null, value: Buffer.from(value) }], { producerId, producerEpoch, baseSequence })
    const produce = (bytes: Buffer) =>
      connection.partition(metadata.partitionLeaders[0]).ask((replyTo) => ({ _tag: 'Produce', batch: bytes, acks: 'all', replyTo }))

    const first = batch(0, 'first')
    const second = batch(1, 'second')
    expect(await produce(Buffer.from(first))).toMatchObject({ baseOffset: 0n, duplicate: false })
    expect(await produce(Buffer.from(second))).toMatchObject({ baseOffset: 1n, duplicate: false })
    expect(await produce(Buffer.from(second))).toMatchObject({ baseOffset: 1n, duplicate: true })
    const gap = await rejectionOf(produce(batch(5, 'gap')))
    expect(gap._tag).toBe('OutOfOrderSequenceError')
    expect(gap).toMatchObject({ expectedSequence: 2, receivedSequence: 5 })

    await system.shutdown()
    ;({ system, broker, connection } = await startEmbeddedBroker(dataDir))
    expect(await produce(Buffer.from(second))).toMatchObject({ baseOffset: 1n, duplicate: true })
    expect(await produce(batch(2, 'third'))).toMatchObject({ baseOffset: 2n, duplicate: false })
    expect(await valuesIn(connection, 'dup', 3)).toEqual([
      [0n, 'first'],
      [1n, 'second'],
      [2n, 'third'],
    ])
  })
})
