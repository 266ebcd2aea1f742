// KafkaJS's own record batch encoder (kafkajs 2.2.4, a root devDependency), used as the
// baseline codec: its produce request (protocol/requests/produce/v3) builds each batch this way.
// KafkaJS does not export it, so it is loaded from its sources, which the package ships.
import { createRequire } from 'node:module'

interface KafkaJsEncoder {
  readonly buffer: Buffer
}

interface KafkaJsRecordInput {
  readonly offsetDelta: number
  readonly timestampDelta: number
  readonly key: Buffer | null
  readonly value: Buffer | null
}

interface KafkaJsRecordBatchInput {
  readonly records: readonly KafkaJsEncoder[]
  readonly firstTimestamp: number
  readonly maxTimestamp: number
  readonly lastOffsetDelta: number
}

const require = createRequire(import.meta.url)
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (input: KafkaJsRecordInput) => KafkaJsEncoder
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (input: KafkaJsRecordBatchInput) => Promise<KafkaJsEncoder> }

export interface CodecRecord {
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
}

/** One uncompressed v2 record batch of `records`, as KafkaJS's producer encodes it. */
export const encodeWithKafkaJs = async (records: readonly CodecRecord[]): Promise<Buffer> => {
  const firstTimestamp = records[0]!.timestamp
  let maxTimestamp = firstTimestamp
  for (const record of records) if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
  const encoded = records.map((record, i) => Record({ offsetDelta: i, timestampDelta: record.timestamp - firstTimestamp, key: record.key, value: record.value }))
  return (await RecordBatch({ records: encoded, firstTimestamp, maxTimestamp, lastOffsetDelta: records.length - 1 })).buffer
}
