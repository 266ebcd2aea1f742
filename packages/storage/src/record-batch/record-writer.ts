/**
 * The bytes of one record in a RecordBatch v2 records section, shared by encodeRecordBatch and
 * BatchBuilder so the two cannot drift apart. Plain functions over positional arguments: they run
 * once per record on the produce and append paths, so nothing here allocates.
 *
 *   length varint (of what follows), attributes int8 (0), timestampDelta varlong,
 *   offsetDelta varint, key bytes, value bytes, header count varint, headers (key string, value bytes)
 */
import type { RecordHeader } from './record.js'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js'

/** A varint length then the bytes; null is length -1. */
const sizeOfBytes = (bytes: Buffer | null): number => (bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length)

const writeBytes = (buf: Buffer, pos: number, bytes: Buffer | null): number => {
  if (bytes === null) {
    buf[pos] = 1 // zigzag(-1): null
    return pos + 1
  }
  const length = bytes.length
  pos = writeVarint(buf, pos, length)
  // A native copy costs more than a short loop for the few bytes of a typical key.
  if (length < 16) for (let i = 0; i < length; i++) buf[pos + i] = bytes[i]
  else buf.set(bytes, pos)
  return pos + length
}

/**
 * Header keys are mostly short ASCII: copying their chars directly skips a second UTF-8 length
 * scan and Buffer#write's native call; anything else goes through Buffer#write.
 */
const writeHeaderKey = (buf: Buffer, pos: number, key: string): number => {
  const length = key.length
  if (length < 64) {
    let at = pos + 1 // a length below 64 takes one varint byte
    let i = 0
    for (; i < length; i++) {
      const code = key.charCodeAt(i)
      if (code > 0x7f) break
      buf[at++] = code
    }
    if (i === length) {
      buf[pos] = length << 1 // zigzag of a non-negative varint
      return at
    }
  }
  pos = writeVarint(buf, pos, Buffer.byteLength(key, 'utf8'))
  return pos + buf.write(key, pos, 'utf8')
}

// Apart from writeRecord so that, while no record has headers, the optimizer never inlines it.
const writeHeaders = (buf: Buffer, pos: number, headers: readonly RecordHeader[]): number => {
  pos = writeVarint(buf, pos, headers.length)
  for (let h = 0; h < headers.length; h++) {
    pos = writeHeaderKey(buf, pos, headers[h].key)
    pos = writeBytes(buf, pos, headers[h].value)
  }
  return pos
}

/** The header count and the headers (none: the one-byte count 0). */
const sizeOfHeaders = (headers: readonly RecordHeader[]): number => {
  let size = sizeOfVarint(headers.length)
  for (let h = 0; h < headers.length; h++) {
    const keyBytes = Buffer.byteLength(headers[h].key, 'utf8')
    size += sizeOfVarint(keyBytes) + keyBytes + sizeOfBytes(headers[h].value)
  }
  return size
}

/** Bytes of a record after its length varint; the whole record is sizeOfVarint(body) + body. */
export const sizeOfRecordBody = (
  offsetDelta: number,
  timestampDelta: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly RecordHeader[] | undefined,
): number =>
  1 +
  sizeOfVarlong(timestampDelta) +
  sizeOfVarint(offsetDelta) +
  sizeOfBytes(key) +
  sizeOfBytes(value) +
  // Tested here so that, while no record has headers, the optimizer never inlines sizeOfHeaders.
  (headers === undefined ? 1 : sizeOfHeaders(headers))

/**
 * Writes a whole record (length varint first) at `pos` and returns the position after it. `body`
 * is sizeOfRecordBody of the same arguments; the caller has made room for it.
 */
export const writeRecord = (
  buf: Buffer,
  pos: number,
  body: number,
  offsetDelta: number,
  timestampDelta: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly RecordHeader[] | undefined,
): number => {
  pos = writeVarint(buf, pos, body)
  buf[pos++] = 0 // record attributes: unused in v2
  pos = writeVarlong(buf, pos, timestampDelta)
  pos = writeVarint(buf, pos, offsetDelta)
  pos = writeBytes(buf, pos, key)
  pos = writeBytes(buf, pos, value)
  if (headers !== undefined) return writeHeaders(buf, pos, headers)
  buf[pos] = 0 // no headers
  return pos + 1
}
