// The quickstart: an embedded Rivulet on real files in ./data (or the directory given as the
// first argument), a typed topic, a producer sending keyed records and a consumer printing them.
// No NATS needed. Run it twice: the second run finds the first run's records still there.
import { resolve } from 'node:path'
import { Rivulet, Serde, topic } from '@rivulet/core'
import { Schema } from 'effect'
import { firstValueFrom, take, toArray } from 'rxjs'

const Order = Schema.Struct({ user: Schema.String, amount: Schema.Number })
const orders = topic('orders', { key: Serde.string, value: Serde.schema(Order) })

const dataDir = resolve(process.argv[2] ?? './data')
const rv = await Rivulet.embedded({ dataDir })
try {
  if (!(await rv.admin.listTopics()).includes('orders')) {
    await rv.admin.createTopic(orders, { partitions: 3 })
    console.log(`created topic "orders" with 3 partitions in ${dataDir}`)
  }
  const before = await rv.admin.describeTopic(orders)
  const alreadyThere = before.partitions.reduce((n, p) => n + Number(p.logEndOffset - p.logStartOffset), 0)

  const producer = rv.producer()
  const sent = await producer.send(orders, [
    { key: 'alice', value: { user: 'alice', amount: 10 } },
    { key: 'bob', value: { user: 'bob', amount: 7 } },
    { key: 'alice', value: { user: 'alice', amount: 3 } },
    { key: 'carol', value: { user: 'carol', amount: 12 } },
  ])
  for (const m of sent) console.log(`sent to ${m.topic}-${m.partition} at offset ${m.offset}`)

  // The same key always lands on the same partition (murmur2, as Kafka's default partitioner).
  const consumer = rv.consumer()
  const records = await firstValueFrom(
    consumer.subscribe(orders, { from: 'earliest' }).pipe(take(alreadyThere + sent.length), toArray()),
  )
  for (const r of records) {
    console.log(`${r.topic}-${r.partition}@${r.offset} ${r.key}: ${JSON.stringify(r.value)}`)
  }
  console.log(`${records.length} records in "orders" (${alreadyThere} from earlier runs)`)
} finally {
  await rv.close()
}
