// An app that embeds Rivulet as a library: an order service appends events to a typed topic, and
// a projection in a consumer group keeps running totals per customer, committing its offsets only
// after each event is applied. Run it twice: the projection resumes where it committed.
//   npx tsx examples/embedded-app/main.mts [dataDir]
import { resolve } from 'node:path'
import { commitOffsets, Rivulet, Serde, topic } from '@rivulet/core'
import { Schema } from 'effect'
import { concatMap, take } from 'rxjs'

const OrderPlaced = Schema.Struct({ orderId: Schema.String, customer: Schema.String, amount: Schema.Number })
const orders = topic('order-events', { key: Serde.string, value: Serde.schema(OrderPlaced) })

const rv = await Rivulet.embedded({ dataDir: resolve(process.argv[2] ?? './data-embedded-app') })
try {
  if (!(await rv.admin.listTopics()).includes(orders.name)) await rv.admin.createTopic(orders, { partitions: 4 })

  // The order service: each customer's events share a key, so they stay in order on one partition.
  const producer = rv.producer()
  const placed = Array.from({ length: 12 }, (_, i) => {
    const customer = ['ada', 'grace', 'alan'][i % 3]!
    return { key: customer, value: { orderId: `o-${Date.now()}-${i}`, customer, amount: 5 + i } }
  })
  await producer.send(orders, placed)
  console.log(`placed ${placed.length} orders`)

  // The projection: a group member that applies each event, then commits it.
  const totals = new Map<string, number>()
  const projection = rv.consumer({ groupId: 'customer-totals', autoOffsetReset: 'earliest' })
  projection.rebalances$.subscribe((event) => console.log(`projection ${event.type} ${event.partitions.length} partitions`))
  await new Promise<void>((done, fail) => {
    projection
      .subscribe(orders)
      .pipe(
        concatMap(async (record) => {
          const { customer, amount } = record.value!
          totals.set(customer, (totals.get(customer) ?? 0) + amount)
          return record
        }),
        commitOffsets(),
        take(placed.length),
      )
      .subscribe({ complete: done, error: fail })
  })
  await projection.close()
  for (const [customer, total] of totals) console.log(`${customer}: ${total} from the events applied this run`)

  const group = await rv.admin.describeGroup('customer-totals')
  const lag = group.offsets.reduce((sum, p) => sum + Number(p.lag), 0)
  console.log(`group customer-totals is ${group.state}, lag ${lag}`)
} finally {
  await rv.close()
}
