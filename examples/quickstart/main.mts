// The quickstart: a partition log in ./data (or the directory given as the first argument),
// records appended in batches, read back by offset and by timestamp, and reopened as after a restart.
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { batchSizeAt, baseOffsetAt, decodeRecords, encodeRecordBatch, Log } from '@rivulet/storage'

const dataDir = resolve(process.argv[2] ?? './data')
const dir = join(dataDir, 'quickstart-0')
mkdirSync(dataDir, { recursive: true })

const log = await Log.open(dir, { flush: 'every-batch' })
const startedAt = Date.now()
for (let i = 0; i < 3; i++) {
  const records = ['alice', 'bob', 'carol'].map((user, n) => ({
    key: Buffer.from(user),
    value: Buffer.from(JSON.stringify({ user, amount: 10 * i + n })),
  }))
  const { baseOffset, lastOffset } = await log.append(encodeRecordBatch(records))
  console.log(`appended offsets ${baseOffset}..${lastOffset}`)
}
await log.close()

const reopened = await Log.open(dir)
console.log(`reopened ${dir}: log start ${reopened.logStartOffset}, log end ${reopened.logEndOffset}`)
const from = (await reopened.offsetForTimestamp(startedAt)) ?? reopened.logEndOffset
const { bytes } = await reopened.read(from, { maxBytes: 1 << 20 })
for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
  const base = baseOffsetAt(bytes, at)
  for (const record of decodeRecords(bytes, at)) {
    const offset = base + BigInt(record.offsetDelta)
    if (offset >= from) console.log(`offset ${offset} key ${record.key?.toString()} value ${record.value?.toString()}`)
  }
}
await reopened.close()
