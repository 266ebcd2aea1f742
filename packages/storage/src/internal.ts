// For Rivulet's own packages and tests: the pieces below the Log.
export * from './index.js'
export { LogSegment } from './segment/log-segment.js'
export * from './segment/segment-files.js'
export { OffsetIndex } from './offset-index.js'
export { TimeIndex } from './time-index.js'
export { scanBatches } from './recovery.js'
export { segmentsToDelete } from './retention.js'
export { CLEAN_SHUTDOWN_FILE, COMPACTED_BELOW_FILE, RECOVERY_POINT_FILE } from './log-checkpoints.js'
