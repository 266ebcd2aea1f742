// One row per measurement; printed as a table for people or JSON lines for scripts. A row may
// name a baseline: another row of the same run doing the same work by a simpler path (a raw
// fs.writeSync of the same bytes, KafkaJS's codec on the same records, the storage log under the
// broker). Its ratio (this row's records/s over the baseline's) holds on a noisy machine where
// the absolute figures do not: both rows ran seconds apart, under the same load.
export interface Row {
  readonly name: string
  readonly records: number
  readonly seconds: number
  readonly bytes: number
  /** Per-operation latencies in ms, when the benchmark measures latency. */
  readonly latenciesMs?: readonly number[]
  readonly note?: string
  /** The name of the row this one is compared with. */
  readonly baseline?: string
  /** This row's records/s over the baseline's, when known better than from the two rows (medianOfRounds). */
  readonly ratio?: number
}

export interface Measurement {
  readonly name: string
  readonly records: number
  readonly records_per_s: number
  readonly mb_per_s: number
  readonly p50_ms?: number
  readonly p99_ms?: number
  readonly p999_ms?: number
  readonly baseline?: string
  /** records_per_s over the baseline row's records_per_s. */
  readonly ratio?: number
  readonly note?: string
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

const round = (value: number, digits: number): number => Number(value.toFixed(digits))

const rate = (row: Row): number => row.records / row.seconds
const ratioOf = (row: Row, baseline: Row): number => row.ratio ?? rate(row) / rate(baseline)

export const measure = (row: Row, rows: readonly Row[] = [row]): Measurement => {
  const baseline = row.baseline === undefined ? undefined : rows.find((other) => other.name === row.baseline)
  if (row.baseline !== undefined && baseline === undefined) throw new Error(`row ${row.name}: no baseline row named ${row.baseline} in this run`)
  const sorted = row.latenciesMs === undefined ? undefined : [...row.latenciesMs].sort((a, b) => a - b)
  return {
    name: row.name,
    records: row.records,
    records_per_s: Math.round(row.records / row.seconds),
    mb_per_s: round(row.bytes / row.seconds / 1e6, 1),
    ...(sorted !== undefined && sorted.length > 0
      ? { p50_ms: round(percentile(sorted, 50), 3), p99_ms: round(percentile(sorted, 99), 3), p999_ms: round(percentile(sorted, 99.9), 3) }
      : {}),
    ...(baseline !== undefined ? { baseline: baseline.name, ratio: round(ratioOf(row, baseline), 3) } : {}),
    ...(row.note !== undefined ? { note: row.note } : {}),
  }
}

export const printRows = (rows: readonly Row[], json: boolean): void => {
  const measurements = rows.map((row) => measure(row, rows))
  if (json) {
    for (const m of measurements) console.log(JSON.stringify(m))
    return
  }
  const header = ['name', 'records', 'records/s', 'MB/s', 'p50 ms', 'p99 ms', 'p999 ms', 'ratio', 'baseline', 'note']
  const lines = measurements.map((m) => [
    m.name,
    m.records.toLocaleString('en-US'),
    m.records_per_s.toLocaleString('en-US'),
    m.mb_per_s.toFixed(1),
    m.p50_ms?.toFixed(3) ?? '',
    m.p99_ms?.toFixed(3) ?? '',
    m.p999_ms?.toFixed(3) ?? '',
    m.ratio?.toFixed(2) ?? '',
    m.baseline ?? '',
    m.note ?? '',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= cells.length - 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  console.log(format(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const line of lines) console.log(format(line))
}
