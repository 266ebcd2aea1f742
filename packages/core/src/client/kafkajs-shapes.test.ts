// Issue 8, item 8: KafkaJS-shaped calls fail with the Rivulet call to make, not "topic undefined".
import { afterEach, describe, expect, it } from 'vitest'
import { Admin } from './admin.js'
import { Consumer } from './consumer.js'
import { InvalidArgumentError } from './errors.js'
import { GroupConsumer } from './group-consumer.js'
import { KafkaJsStyleCallError, kafkaJsStyleCall } from './kafkajs-shapes.js'
import { Producer } from './producer.js'
import { startTestCluster, type TestCluster } from './test-support/cluster.js'

const clusters: TestCluster[] = []
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.cleanup()
})

const connection = () => {
  const cluster = startTestCluster()
  clusters.push(cluster)
  return cluster.connection
}

const thrown = (work: () => unknown): unknown => {
  try {
    work()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('KafkaJS-shaped calls', () => {
  it("producer.send({ topic, messages }) rejects with Rivulet's send(topic, records), naming the topic", async () => {
    const producer = new Producer(connection(), { lingerMs: 0 })
    const error = await (producer.send as (...args: unknown[]) => Promise<unknown>)({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJsStyleCallError)
    expect((error as Error).message).toMatch(/producer\.send\(\) got a KafkaJS-style \{ topic, messages \} object; Rivulet's call is producer\.send\('orders', \[\{ key, value, headers \}\]\)/)
    await producer.close()
  })

  it("consumer.subscribe({ topics, fromBeginning }) throws with subscribe(topics, { from: 'earliest' })", async () => {
    const consumer = new Consumer(connection())
    const error = thrown(() => consumer.subscribe({ topics: ['a', 'b'], fromBeginning: true } as never))
    expect(error).toBeInstanceOf(KafkaJsStyleCallError)
    expect((error as Error).message).toContain("consumer.subscribe(['a', 'b'], { from: 'earliest' })")
    await consumer.close()
  })

  it('a group consumer names subscribe (not send) and says how a group starts from the beginning', async () => {
    const consumer = new GroupConsumer(connection(), { groupId: 'g' })
    const error = thrown(() => consumer.subscribe({ topic: 'orders', fromBeginning: true } as never))
    expect((error as Error).message).toMatch(/consumer\.subscribe\('orders'.*autoOffsetReset: 'earliest'/)
    expect(thrown(() => consumer.subscribe([]))).toBeInstanceOf(InvalidArgumentError)
    await consumer.close()
  })

  it('admin.createTopic({ topics }) rejects with one createTopic per topic', async () => {
    const admin = new Admin(connection())
    const error = await admin.createTopic({ topics: [{ topic: 'orders', numPartitions: 3 }] } as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJsStyleCallError)
    expect((error as Error).message).toMatch(/admin\.createTopic\('orders', \{ partitions, config \}\) once per topic/)
  })

  it('leaves other wrong arguments to the usual InvalidArgumentError', () => {
    expect(kafkaJsStyleCall('send', { nope: 1 })).toBeUndefined()
    expect(kafkaJsStyleCall('send', 'orders')).toBeUndefined()
    expect(kafkaJsStyleCall('send', { name: 'orders', messages: [] })).toBeUndefined()
  })
})
