import { it, expect } from 'vitest'
import { startTestCluster } from './test-support/cluster.js'
import { Admin } from './admin.js'
import { Producer } from './producer.js'
import { decodeRecords } from '@rivulet/storage'

it('smoke', async () => {
  const cluster = startTestCluster()
  try {
    const admin = new Admin(cluster.connection)
    await admin.createTopic('t', { partitions: 6 })
    const producer = new Producer(cluster.connection)
    const m = await producer.send('t', { key: 'a', value: 'hello' })
    console.log(m)
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
    console.log('produced', N, 'in', ms.toFixed(0), 'ms', (N / ms * 1000).toFixed(0), 'rec/s', producer.stats)
    console.log(JSON.stringify((await admin.describeTopic('t')).partitions.map(p => [p.logEndOffset.toString(), p.sizeBytes])))
    await producer.close()
  } finally { await cluster.cleanup() }
})
