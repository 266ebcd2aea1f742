// A child of fd-limit.fault.test.ts, run under a low open-file limit (prlimit --nofile=N:N).
// `create <dataDir>`: creates 4-partition topics until creation keeps failing, producing one
// record to every partition of each topic created. `reopen <dataDir>`: opens the directory again
// and produces to and reads from every topic. Prints one JSON line of what happened; every line
// the broker logged is counted.
import { Rivulet } from '@rivulet/core'

const [mode, dataDir] = process.argv.slice(2)
const logged = []
const logger = { warn: (message) => logged.push(`warn ${message}`), error: (message) => logged.push(`error ${message}`) }
const rv = await Rivulet.embedded({ dataDir, logger, offsetsTopicPartitions: 1, defaultTopicConfig: { flush: 'os' } })
const producer = rv.producer({ lingerMs: 0 })
const result = { mode, created: [], failures: [], produced: 0, read: 0, logged }

if (mode === 'create') {
  let failuresInARow = 0
  for (let n = 0; n < 200 && failuresInARow < 3; n++) {
    const topic = `t${n}`
    try {
      await rv.admin.createTopic(topic, { partitions: 4 })
    } catch (error) {
      failuresInARow++
      result.failures.push({ topic, tag: error._tag ?? error.name, code: error.code, message: error.message })
      continue
    }
    failuresInARow = 0
    result.created.push(topic)
    for (let partition = 0; partition < 4; partition++) {
      await producer.send(topic, { partition, value: `${topic}/${partition}` })
      result.produced++
    }
  }
} else {
  const topics = (await rv.admin.listTopics()).filter((name) => name.startsWith('t'))
  result.created = topics
  for (const topic of topics) {
    await producer.send(topic, { partition: 0, value: 'again' })
    result.produced++
    const description = await rv.admin.describeTopic(topic)
    result.read += description.partitions.reduce((sum, partition) => sum + Number(partition.logEndOffset), 0)
  }
}
await rv.close()
process.stdout.write(`${JSON.stringify(result)}\n`)
