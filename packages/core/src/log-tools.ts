/**
 * The storage layer's pieces that the CLI's offline log tools (dump-log, log-repair) work with,
 * re-exported through core's internal entry so the CLI depends on core alone (DESIGN.md's arrow:
 * storage <- core <- cli). The test-only ones build and damage logs in the tools' tests.
 */
export { batchSizeAt, checkBatchAt, CRC_AT, encodeRecordBatch, Log, planLogRepair, readBatchHeader, RecordCursor, repairLog } from '@rivulet/storage'
export type { CleanupPolicy, LogRepairPlan } from '@rivulet/storage'
