/** Every failure of the storage layer a caller can meet, as a tagged error carrying its facts. */
import { Data } from 'effect'

/** A configuration value that does not decode; `key` names the setting, `value` what was given. */
export class InvalidLogConfigError extends Data.TaggedError('InvalidLogConfigError')<{
  readonly key: string
  readonly value: unknown
  readonly reason: string
}> {
  override get message(): string {
    return `invalid log config ${this.key}=${JSON.stringify(this.value)}: ${this.reason}`
  }
}

/** Records or options that cannot make a valid batch; nothing was encoded. */
export class InvalidRecordBatchInputError extends Data.TaggedError('InvalidRecordBatchInputError')<{
  readonly reason: string
}> {
  override get message(): string {
    return `cannot encode record batch: ${this.reason}`
  }
}

/** A batch bigger than maxBatchBytes was refused; nothing was written. */
export class RecordBatchTooLargeError extends Data.TaggedError('RecordBatchTooLargeError')<{
  readonly batchBytes: number
  readonly maxBatchBytes: number
}> {
  override get message(): string {
    return `record batch of ${this.batchBytes} bytes exceeds maxBatchBytes ${this.maxBatchBytes}; nothing was written`
  }
}

/** Bytes that are not a valid RecordBatch v2: given by a caller, or found on disk. */
export class CorruptRecordBatchError extends Data.TaggedError('CorruptRecordBatchError')<{
  /** The file the bytes came from, or `<input>` for bytes handed to append. */
  readonly file: string
  /** Byte position of the batch inside that file or buffer. */
  readonly position: number
  readonly reason: string
}> {
  override get message(): string {
    return `corrupt record batch in ${this.file} at byte ${this.position}: ${this.reason}`
  }
}

/** An index file whose entries contradict themselves or the log; it is rebuilt from the log. */
export class CorruptIndexError extends Data.TaggedError('CorruptIndexError')<{
  readonly file: string
  readonly reason: string
}> {
  override get message(): string {
    return `corrupt index ${this.file}: ${this.reason}`
  }
}

/** A read or truncation at an offset the log does not hold. */
export class OffsetOutOfRangeError extends Data.TaggedError('OffsetOutOfRangeError')<{
  readonly offset: bigint
  readonly logStartOffset: bigint
  readonly logEndOffset: bigint
}> {
  override get message(): string {
    return `offset ${this.offset} is out of range [${this.logStartOffset}, ${this.logEndOffset}]`
  }
}

/** Any operation on a log after close() or delete(). */
export class LogClosedError extends Data.TaggedError('LogClosedError')<{
  readonly dir: string
}> {
  override get message(): string {
    return `log ${this.dir} is closed`
  }
}

/**
 * A write the file system had no room for (ENOSPC, EDQUOT, EFBIG). What the write had put down was
 * cut back, so the log is as it was before the call; retry once space is freed (retention, a
 * deleted topic): appends resume by themselves.
 */
export class StorageFullError extends Data.TaggedError('StorageFullError')<{
  /** The file (or, for a new segment, the directory) being written. */
  readonly file: string
  /** How many bytes the failed write tried to add. */
  readonly bytes: number
  /** The errno code: ENOSPC, EDQUOT or EFBIG. */
  readonly code: string
}> {
  /** Worth another try: nothing was kept, and space can come back. */
  get retriable(): true {
    return true
  }
  override get message(): string {
    return `no space to write ${this.bytes} bytes to ${this.file} (${this.code}); nothing of it was kept, retry once space is freed`
  }
}

/** A write that failed for another reason (EIO, say); cut back like StorageFullError. */
export class StorageWriteError extends Data.TaggedError('StorageWriteError')<{
  readonly file: string
  readonly bytes: number
  readonly code: string
}> {
  get retriable(): true {
    return true
  }
  override get message(): string {
    return `writing ${this.bytes} bytes to ${this.file} failed (${this.code}); nothing of it was kept`
  }
}

/**
 * A log whose state on disk is no longer known: an fsync failed (after which the kernel may have
 * dropped the unsynced pages while the page cache still shows them), or cutting back a failed
 * write failed. It refuses appends (and acknowledges nothing) until it is reopened, which
 * recovers it from what is really on disk; reads below the high watermark go on.
 */
export class LogNeedsRecoveryError extends Data.TaggedError('LogNeedsRecoveryError')<{
  readonly dir: string
  readonly reason: string
}> {
  override get message(): string {
    return `log ${this.dir} refuses appends until it is reopened: ${this.reason}`
  }
}

/**
 * A segment or index file could not be opened because the process (EMFILE) or the system (ENFILE)
 * is out of file descriptors, even after the segment file cache gave back its idle ones.
 */
export class TooManyOpenFilesError extends Data.TaggedError('TooManyOpenFilesError')<{
  readonly file: string
  readonly code: 'EMFILE' | 'ENFILE'
  /** Closed-segment files the cache held when the open failed (0: it had none left to give back). */
  readonly openSegmentFiles: number
  readonly maxOpenSegmentFiles: number
}> {
  override get message(): string {
    const who = this.code === 'EMFILE' ? 'the process' : 'the system'
    return (
      `cannot open ${this.file}: ${who} is out of file descriptors (${this.code}); ` +
      `${this.openSegmentFiles} closed-segment files open, cache limit ${this.maxOpenSegmentFiles}. ` +
      `Raise the descriptor limit (ulimit -n) or lower SegmentFileCache maxOpenFiles`
    )
  }
}

/**
 * A log holding damaged bytes where a crash cannot have torn them: below its recovery point, or
 * anywhere after a clean shutdown. The log serves offsets below `firstOffset` and refuses reads of
 * [firstOffset, endOffset) and every append, because acknowledged offsets may lie in the damage;
 * `rivulet log repair` moves the damaged bytes aside. `endOffset` is undefined when the damage is
 * in the active segment: how far the log went beyond it is unknown.
 */
export class LogCorruptedError extends Data.TaggedError('LogCorruptedError')<{
  readonly dir: string
  /** The segment file holding the damage. */
  readonly file: string
  /** Byte position of the first damaged batch in that file. */
  readonly position: number
  readonly reason: string
  /** The first offset that cannot be served. */
  readonly firstOffset: bigint
  /** Offsets from firstOffset up to this one (exclusive) may be damaged; undefined: an unknown end. */
  readonly endOffset: bigint | undefined
}> {
  override get message(): string {
    const offsets = this.endOffset === undefined ? `offsets from ${this.firstOffset} on` : `offsets [${this.firstOffset}, ${this.endOffset})`
    return (
      `log ${this.dir} is damaged in ${this.file} at byte ${this.position} (${this.reason}); ${offsets} cannot be served ` +
      'and appends are refused until an operator runs `rivulet log repair`'
    )
  }
}

/** `rivulet log repair` refused to start: the log is open in another process, or the directory is not a log. */
export class LogRepairRefusedError extends Data.TaggedError('LogRepairRefusedError')<{
  readonly dir: string
  readonly reason: string
}> {
  override get message(): string {
    return `cannot repair log ${this.dir}: ${this.reason}`
  }
}

export type StorageError =
  | InvalidLogConfigError
  | RecordBatchTooLargeError
  | InvalidRecordBatchInputError
  | CorruptRecordBatchError
  | CorruptIndexError
  | OffsetOutOfRangeError
  | LogClosedError
  | StorageFullError
  | StorageWriteError
  | LogNeedsRecoveryError
  | TooManyOpenFilesError
  | LogCorruptedError
  | LogRepairRefusedError
