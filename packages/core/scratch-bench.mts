import { startTestCluster } from './src/client/test-support/cluster.js'
import { Admin } from './src/client/admin.js'
import { Producer } from './src/client/producer.js'
const flush = process.argv[2] ?? 'os'
const cluster = startTestCluster({ defaultTopicConfig: { flush } })
const admin = new Admin(cluster.connection)
await admin.createTopic('t', { partitions: 6 })
const producer = new Producer(cluster.connection, JSON.parse(process.argv[3] ?? '{}'))
await producer.send('t', { key: 'a', value: 'hello' })
const N = 1_000_000
const value = Buffer.alloc(100, 1)
const keys = Array.from({ length: 10000 }, (_, i) => `key-${i}`)
const records = Array.from({ length: N }, (_, i) => ({ key: keys[i % 10000], value }))
const t0 = performance.now()
const chunk = 10000
const ps = []
for (let i = 0; i < N; i += chunk) ps.push(producer.send('t', records.slice(i, i + chunk)))
await Promise.all(ps)
const ms = performance.now() - t0
console.log('flush', flush, 'produced', N, 'in', ms.toFixed(0), 'ms', (N / ms * 1000).toFixed(0), 'rec/s', producer.stats.batchesSent)
await producer.close()
await cluster.cleanup()
