/**
 * The dead-letter sink Rivulet gives its consumers: a producer of its own (linger 0, since a dead
 * letter is rare and the consumer waits for it), made on the first dead letter.
 */
import type { ClusterConnection } from './cluster-connection.js'
import type { DeadLetter, DeadLetterSink } from './dead-letter-sink.js'
import { Producer } from './producer.js'

export const producerDeadLetters = (connection: ClusterConnection): DeadLetterSink => {
  let producer: Producer | undefined
  return {
    async send(topic: string, record: DeadLetter): Promise<void> {
      producer ??= new Producer(connection, { lingerMs: 0 })
      await producer.send(topic, record)
    },
    close: () => producer?.close() ?? Promise.resolve(),
  }
}
