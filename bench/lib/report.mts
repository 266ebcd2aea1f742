// One row per measurement; printed as a table for people or JSON lines for scripts.
export interface Row {
  readonly name: string
  readonly records: number
  readonly seconds: number
  readonly bytes: number
  /** Per-operation latencies in ms, when the benchmark measures latency. */
  readonly latenciesMs?: readonly number[]
  readonly note?: string
}

export interface Measurement {
  readonly name: string
  readonly records: number
  readonly records_per_s: number
  readonly mb_per_s: number
  readonly p50_ms?: number
  readonly p99_ms?: number
  readonly p999_ms?: number
  readonly note?: string
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

const round = (value: number, digits: number): number => Number(value.toFixed(digits))

export const measure = (row: Row): Measurement => {
  const sorted = row.latenciesMs === undefined ? undefined : [...row.latenciesMs].sort((a, b) => a - b)
  return {
    name: row.name,
    records: row.records,
    records_per_s: Math.round(row.records / row.seconds),
    mb_per_s: round(row.bytes / row.seconds / 1e6, 1),
    ...(sorted !== undefined && sorted.length > 0
      ? { p50_ms: round(percentile(sorted, 50), 3), p99_ms: round(percentile(sorted, 99), 3), p999_ms: round(percentile(sorted, 99.9), 3) }
      : {}),
    ...(row.note !== undefined ? { note: row.note } : {}),
  }
}

export const printRows = (rows: readonly Row[], json: boolean): void => {
  const measurements = rows.map(measure)
  if (json) {
    for (const m of measurements) console.log(JSON.stringify(m))
    return
  }
  const header = ['name', 'records', 'records/s', 'MB/s', 'p50 ms', 'p99 ms', 'p999 ms', 'note']
  const lines = measurements.map((m) => [
    m.name,
    m.records.toLocaleString('en-US'),
    m.records_per_s.toLocaleString('en-US'),
    m.mb_per_s.toFixed(1),
    m.p50_ms?.toFixed(3) ?? '',
    m.p99_ms?.toFixed(3) ?? '',
    m.p999_ms?.toFixed(3) ?? '',
    m.note ?? '',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  console.log(format(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const line of lines) console.log(format(line))
}
