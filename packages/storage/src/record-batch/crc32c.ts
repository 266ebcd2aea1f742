/**
 * CRC-32C (Castagnoli), the checksum of a RecordBatch v2, computed by the native SIMD
 * implementation in @node-rs/crc32 (8+ GB/s here, against ~0.5 GB/s for a byte-table JS loop).
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32'

/** CRC-32C of `bytes` as an unsigned 32-bit number; pass a previous result as `initial` to continue it. */
export const crc32c = (bytes: Uint8Array, initial = 0): number => nativeCrc32c(bytes, initial) >>> 0

/**
 * CRC-32C of `buf[start, end)`. The native call takes whole arrays only, so this makes one
 * Uint8Array view (no copy) unless the range already is the whole buffer.
 */
export const crc32cOfRange = (buf: Uint8Array, start: number, end: number): number =>
  start === 0 && end === buf.length
    ? nativeCrc32c(buf, 0) >>> 0
    : nativeCrc32c(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start), 0) >>> 0
