/** The public API of the RecordBatch v2 codec. */
export * from './batch-builder.js'
export * from './batch-header.js'
export * from './crc32c.js'
export * from './decoder.js'
export * from './encoder.js'
export * from './record.js'
export * from './validate.js'
export * from './varint.js'
