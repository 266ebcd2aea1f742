import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeRecordBatch, Log, MiB } from '@rivulet/storage'
const recs = Array.from({ length: 1000 }, (_, i) => ({ key: null, value: Buffer.alloc(100, i), timestamp: 1_700_000_000_000 }))
let t = performance.now()
const encoded = []
for (let i = 0; i < 1000; i++) encoded.push(encodeRecordBatch(recs))
console.log('encode only', (performance.now() - t).toFixed(1), 'ms')
const log = await Log.open(mkdtempSync(join(tmpdir(), 'p-')), { flush: 'os', segmentBytes: 256 * MiB })
t = performance.now()
for (const b of encoded) await log.append(b)
console.log('append only', (performance.now() - t).toFixed(1), 'ms')
