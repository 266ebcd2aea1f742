/**
 * The progress bar of `produce` from a file or stdin (cli-progress): records/s and, when the
 * input's size is known (a file), how far through it and the ETA. Only on a terminal, and only
 * once the work has lasted a moment, so a quick produce prints nothing extra.
 */
import cliProgress from 'cli-progress'

export interface ProduceProgress {
  /** The records sent and bytes read so far. */
  update(records: number, bytes: number): void
  stop(): void
}

export interface ProgressTarget {
  /** Where the bar goes: stderr when it is a terminal; undefined for no bar. */
  readonly stream: NodeJS.WritableStream | undefined
  /** The input's size in bytes, when known. */
  readonly totalBytes: number | undefined
  /** How long the work must last before the bar shows (ms). */
  readonly delayMs: number
}

const MB = 1024 * 1024

export const produceProgress = ({ stream, totalBytes, delayMs }: ProgressTarget): ProduceProgress => {
  if (stream === undefined || (stream as { isTTY?: boolean }).isTTY !== true) return { update: () => undefined, stop: () => undefined }
  const started = Date.now()
  const known = totalBytes !== undefined && totalBytes > 0
  const format = known
    ? '{bar} {percentage}% | {records} records | {rate} records/s | {mb} of {totalMb} MB | ETA {eta_formatted}'
    : '{records} records | {rate} records/s | {mb} MB read'
  const bar = new cliProgress.SingleBar({ stream, format, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 5 }, cliProgress.Presets.shades_classic)
  let shown = false
  let last = { records: 0, bytes: 0 }
  const payload = (records: number, bytes: number) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001)
    return { records, rate: Math.round(records / seconds), mb: (bytes / MB).toFixed(1), totalMb: known ? (totalBytes / MB).toFixed(1) : '?' }
  }
  const timer = setTimeout(() => {
    shown = true
    bar.start(known ? totalBytes : 1, known ? last.bytes : 0, payload(last.records, last.bytes))
  }, delayMs)
  timer.unref()
  return {
    update(records, bytes) {
      last = { records, bytes }
      if (shown) bar.update(known ? bytes : 0, payload(records, bytes))
    },
    stop() {
      clearTimeout(timer)
      if (!shown) return
      bar.update(known ? last.bytes : 0, payload(last.records, last.bytes))
      bar.stop()
    },
  }
}
